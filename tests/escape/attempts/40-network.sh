# SPDX-License-Identifier: MIT
# The offline sandbox has a network namespace of its own with only loopback: other hosts are
# unreachable (ENETUNREACH), and its loopback is not the host's (nothing listens there:
# ECONNREFUSED). The controls prove every target answers ann outside the sandbox.

blocked -c net-peer-tcp 'Network is unreachable' "$probe" tcp 10.77.0.2 7777
blocked -c net-peer-udp 'Network is unreachable' "$probe" udp 10.77.0.2 7777
blocked -c net-peer-tcp6 'Network is unreachable' "$probe" tcp fd77::2 7777
blocked -c net-peer-udp6 'Network is unreachable' "$probe" udp fd77::2 7777
blocked -c net-host-veth 'Network is unreachable' "$probe" tcp 10.77.0.1 5432
blocked -c net-host-db 'Connection refused' "$probe" tcp 127.0.0.1 5432
blocked -c net-host-db6 'Connection refused' "$probe" tcp ::1 5432
blocked -c net-host-resolver-udp 'Connection refused' "$probe" udp 127.0.0.1 53
blocked -c net-dns-lookup 'Temporary failure in name resolution' "$probe" dns example.com
blocked -c net-dns-getent 'not found \(status 2\)' sh -c 'getent hosts example.com || { echo "getent: not found (status $?)"; exit 1; }'
# ping sockets are off in a fresh network namespace (net.ipv4.ping_group_range = 1 0)
blocked net-icmp 'Permission denied \(socket icmp\)|Network is unreachable' "$probe" icmp 10.77.0.2
blocked net-raw-socket 'Operation not permitted \(socket raw\)' "$probe" raw
blocked net-packet-socket '(Operation not permitted|Address family not supported by protocol) \(socket packet\)' "$probe" packet
blocked net-add-link 'Operation not permitted' ip link add bw-escape type dummy
blocked net-lo-down 'Operation not permitted' ip link set lo down
blocked net-curl-proxy 'Failed to connect to 127.0.0.1 port 9' curl -sS --max-time 3 http://10.77.0.2:7777/
blocked -c net-curl-direct 'Failed to connect to 10.77.0.2 port 7777' curl -sS --http0.9 --noproxy '*' --max-time 3 http://10.77.0.2:7777/
