// Layer2Plugin: the Layer 2 announcer (`plugin: layer2`, docs/layer2.md).
//
// Frames/     Ethernet (802.1Q tags), ARP (RFC 826) and IPv6 Neighbor Discovery (RFC 4861) codecs and the builders
//             of replies and gratuitous announcements; the standard library only.
// Responder/  The pure reply decision (frame in: reply, drop with a reason, or another station's claim) and the
//             AnswerTable it consults.
// Link/       The host's interfaces (scan, MetalLB's selection rules), one libpcap handle per interface in
//             immediate mode, and the solicited-node multicast joins.
// Membership/ Authenticated UDP heartbeats between the nodes (HMAC-SHA256, replay protection): who is alive.
// Ownership/  MetalLB's election among the live candidates, and the state machine of takeovers, repeated
//             announcements and make-before-break handovers.
//
// Layer2Announcer runs it: Layer2Loop feeds the ownership state machine with desired sets, membership updates,
// claims and ticks and performs its actions; LinkSet holds the open links, whose reader threads answer requests
// at once from the current AnswerTable; Layer2Status is the status file.
