# Throughput of dlrm (written by gppsim; render with: gnuplot throughput_dlrm.gp)
$data << EOD
"GPUs" "GraphPipe" "PipeDream"
4 4508.11 5451.97
8 7336.56 8814.11
16 12224.6 10236.9
32 22064.8 10520.3
EOD
if (!exists("suffix")) suffix = ""
set terminal pngcairo size 800,500 noenhanced
set output 'throughput_dlrm.png'.suffix
set title 'Throughput of dlrm'
set xlabel 'GPUs'
set ylabel 'samples/s'
set key top left
set logscale x 2
set xtics (4, 8, 16, 32)
set grid
set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05
plot for [i=2:3] $data using 1:i with linespoints lw 2 pt 7 title columnheader(i)
set terminal svg size 800,500 noenhanced
set output 'throughput_dlrm.svg'.suffix
replot
unset output
