# GraphPipe speedup over the baselines (written by gppsim; render with: gnuplot speedup.gp)
$data << EOD
"category" "vs PipeDream" "vs Piper"
"mmt/4" 1.06152 1.06152
"mmt/8" 1.13139 1.13352
"mmt/16" 1.16131 1.1648
"mmt/32" 1.19547 1.40946
"dlrm/4" 0.826877 NaN
"dlrm/8" 0.832366 NaN
"dlrm/16" 1.19417 NaN
"dlrm/32" 2.09735 NaN
"candle_uno/4" 0.663456 NaN
"candle_uno/8" 1.12575 NaN
"candle_uno/16" 1.43123 NaN
"candle_uno/32" 1.78272 NaN
EOD
if (!exists("suffix")) suffix = ""
set terminal pngcairo size 800,500 noenhanced
set output 'speedup.png'.suffix
set title 'GraphPipe speedup over the baselines'
set xlabel 'model / GPUs'
set ylabel 'speedup (x)'
set key outside right top
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set yrange [0:*]
set xtics rotate by -30
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2
plot for [i=2:3] $data using i:xtic(1) title columnheader(i)
set terminal svg size 800,500 noenhanced
set output 'speedup.svg'.suffix
replot
unset output
