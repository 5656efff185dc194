# Throughput of candle_uno (written by gppsim; render with: gnuplot throughput_candle_uno.gp)
$data << EOD
"GPUs" "GraphPipe" "PipeDream"
4 4935.94 7439.74
8 13673.1 12145.8
16 27683.2 19342.2
32 47666.7 26738.2
EOD
if (!exists("suffix")) suffix = ""
set terminal pngcairo size 800,500 noenhanced
set output 'throughput_candle_uno.png'.suffix
set title 'Throughput of candle_uno'
set xlabel 'GPUs'
set ylabel 'samples/s'
set key top left
set logscale x 2
set xtics (4, 8, 16, 32)
set grid
set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05
plot for [i=2:3] $data using 1:i with linespoints lw 2 pt 7 title columnheader(i)
set terminal svg size 800,500 noenhanced
set output 'throughput_candle_uno.svg'.suffix
replot
unset output
