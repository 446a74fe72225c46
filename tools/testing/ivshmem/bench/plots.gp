# SPDX-License-Identifier: GPL-2.0
# Plots of "make bench", run in the report directory after report.py wrote
# the *.dat files there:  gnuplot plots.gp
# Error bars span min..max over the repetitions, points are medians.

set terminal pngcairo size 800,500 noenhanced
set datafile missing "?"
set grid
set key top left

set output "throughput_vs_mtu.png"
set title "TCP guest 0 -> guest 1 by MTU"
set xlabel "MTU (bytes)"
set ylabel "Mbit/s"
set logscale x 2
set xrange [1000:100000]
plot "mtu.dat" using 1:2:3:4 with yerrorlines title "ivshmem-net (1 MiB sections)", \
     "mtu.dat" using 1:5:6:7 with yerrorlines title "virtio-net (stream netdev)"

set output "throughput_vs_section.png"
set title "ivshmem-net TCP guest 0 -> guest 1 by output section size"
set xlabel "output section size (bytes)"
set xrange [32768:33554432]
plot "section.dat" using 1:2:3:4 with yerrorlines title "MTU 1500", \
     "section.dat" using 1:5:6:7 with yerrorlines title "MTU 9000", \
     "section.dat" using 1:8:9:10 with yerrorlines title "MTU 16384", \
     "section.dat" using 1:11:12:13 with yerrorlines title "MTU 65535"

set output "throughput_vs_msgsize.png"
set title "UDP received, unlimited send rate, by datagram size"
set xlabel "datagram size (bytes)"
set xrange [32:2800]
set ylabel "Mbit/s"
set y2label "datagrams/s"
set y2tics
set ytics nomirror
plot "msgsize.dat" using 1:2:3:4 with yerrorlines title "ivshmem-net Mbit/s", \
     "msgsize.dat" using 1:5:6:7 with yerrorlines title "virtio-net Mbit/s", \
     "msgsize.dat" using 1:8:9:10 axes x1y2 with yerrorlines dt 2 title "ivshmem-net pps", \
     "msgsize.dat" using 1:11:12:13 axes x1y2 with yerrorlines dt 2 title "virtio-net pps"
unset y2label
unset y2tics
set ytics mirror

set output "memcpy.png"
set title "memcpy bandwidth by block size"
set xlabel "block size (bytes)"
set ylabel "GB/s"
set xrange [2048:33554432]
plot "memcpy.dat" using 1:2:3:4 with yerrorlines title "guest (TCG)", \
     "memcpy.dat" using 1:5:6:7 with yerrorlines title "host"

set output "latency_cdf.png"
set title "Round-trip time distribution (median of each quantile over repetitions)"
set xlabel "round trip (us)"
set ylabel "percentile"
set logscale x 10
set autoscale x
set yrange [0:100]
set key bottom right
plot "cdf.dat" using 2:1 with linespoints title "ICMP, ivshmem-net", \
     "cdf.dat" using 3:1 with linespoints title "ICMP, virtio-net", \
     "cdf.dat" using 4:1 with linespoints title "TCP_RR, ivshmem-net", \
     "cdf.dat" using 5:1 with linespoints title "TCP_RR, virtio-net"

set output "doorbell.png"
set title "Doorbell ping-pong round trip"
unset logscale
set logscale y 10
set autoscale
set xlabel ""
set ylabel "round trip (us)"
set key top left
set style data histogram
set style histogram errorbars gap 1 lw 1
set style fill solid 0.5 border -1
set boxwidth 0.9
plot "doorbell.dat" using 2:3:4:xtic(1) title "median", \
     "doorbell.dat" using 5:6:7 title "p99"
