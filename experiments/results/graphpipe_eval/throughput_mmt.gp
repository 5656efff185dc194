# Throughput of mmt (written by gppsim; render with: gnuplot throughput_mmt.gp)
$data << EOD
"GPUs" "GraphPipe" "PipeDream" "Piper"
4 54.5685 51.406 51.406
8 110.317 97.5054 97.3223
16 215.285 185.381 184.825
32 409.644 342.663 290.639
EOD
if (!exists("suffix")) suffix = ""
set terminal pngcairo size 800,500 noenhanced
set output 'throughput_mmt.png'.suffix
set title 'Throughput of mmt'
set xlabel 'GPUs'
set ylabel 'samples/s'
set key top left
set logscale x 2
set xtics (4, 8, 16, 32)
set grid
set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05
plot for [i=2:4] $data using 1:i with linespoints lw 2 pt 7 title columnheader(i)
set terminal svg size 800,500 noenhanced
set output 'throughput_mmt.svg'.suffix
replot
unset output
