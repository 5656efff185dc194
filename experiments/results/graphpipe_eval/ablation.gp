# Ablation: throughput normalised to SPP (written by gppsim; render with: gnuplot ablation.gp)
$data << EOD
"category" "spp" "parallel_only" "gpp"
"mmt/32" 1 1.19547 1.19547
"dlrm/32" 1 1.5239 2.09735
"candle_uno/32" 1 1.78272 1.78272
EOD
if (!exists("suffix")) suffix = ""
set terminal pngcairo size 800,500 noenhanced
set output 'ablation.png'.suffix
set title 'Ablation: throughput normalised to SPP'
set xlabel 'model / GPUs'
set ylabel 'throughput / SPP''s'
set key outside right top
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set yrange [0:*]
set xtics rotate by -30
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2
plot for [i=2:4] $data using i:xtic(1) title columnheader(i)
set terminal svg size 800,500 noenhanced
set output 'ablation.svg'.suffix
replot
unset output
