# Throughput normalised to PipeDream vs branches (candle_uno) (written by gppsim; render with: gnuplot branch_sweep.gp)
$data << EOD
"branches" "GraphPipe, 4 GPUs" "GraphPipe, 8 GPUs" "GraphPipe, 16 GPUs"
2 1.04443 1.09864 1.8845
4 1.05093 1.09225 1.15365
8 0.754488 1.14674 1.1744
16 0.649071 0.855667 1.23989
EOD
if (!exists("suffix")) suffix = ""
set terminal pngcairo size 800,500 noenhanced
set output 'branch_sweep.png'.suffix
set title 'Throughput normalised to PipeDream vs branches (candle_uno)'
set xlabel 'branches'
set ylabel 'throughput / PipeDream''s'
set key top left
set logscale x 2
set xtics (2, 4, 8, 16)
set grid
set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05
plot for [i=2:4] $data using 1:i with linespoints lw 2 pt 7 title columnheader(i)
set terminal svg size 800,500 noenhanced
set output 'branch_sweep.svg'.suffix
replot
unset output
