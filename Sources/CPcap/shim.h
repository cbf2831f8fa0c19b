// libpcap for the Layer 2 plugin's link I/O (Debian: libpcap-dev to build, libpcap0.8 to run), plus the Linux
// headers for the solicited-node multicast joins, interface flags and the reader's wakeup eventfd that Glibc's Swift
// overlay does not export.
#include <pcap/pcap.h>
#include <sys/socket.h>
#include <sys/eventfd.h>
#include <netinet/in.h>
#include <net/if.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>
