#!/usr/bin/env python3
"""A UDP echo for the Layer 2 lab: `echo.py --node NAME [--port 9999] ADDRESS...`.

Binds PORT on each ADDRESS (with IP_FREEBIND, so an address need not be configured yet) and answers every
datagram with the datagram followed by b"|" and the node's name, from the address it was sent to: the client
sees which node answered. Stops on SIGTERM or SIGINT.
"""
import argparse
import selectors
import signal
import socket
import sys

IP_FREEBIND = 15


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--node", required=True)
    parser.add_argument("--port", type=int, default=9999)
    parser.add_argument("addresses", nargs="+")
    args = parser.parse_args()
    suffix = b"|" + args.node.encode()
    selector = selectors.DefaultSelector()
    for address in args.addresses:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_IP, IP_FREEBIND, 1)
        sock.bind((address, args.port))
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"echo: {args.node} answers on {', '.join(args.addresses)} port {args.port}", flush=True)
    try:
        while True:
            for key, _ in selector.select():
                sock = key.fileobj
                while True:
                    try:
                        data, peer = sock.recvfrom(2048)
                    except BlockingIOError:
                        break
                    try:
                        sock.sendto(data + suffix, peer)
                    except OSError:
                        pass  # no route while the link is down: the probe is lost, as it would be
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
