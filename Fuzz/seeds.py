#!/usr/bin/env python3
"""Turns the hex fixtures into libFuzzer seeds.

Usage: seeds.py FIXTURES_DIR DECODE_CORPUS ROUNDTRIP_CORPUS

fuzz-decode gets each message's raw bytes, and all of them as one stream; fuzz-roundtrip gets each message behind
an option octet (0-3: the four option sets of WireFuzzCheck), 2-octet sessions' messages behind option 1.
"""

import hashlib
import os
import sys


def message(path):
    data = bytearray()
    with open(path) as f:
        for line in f:
            data += bytes.fromhex(line.split("#", 1)[0].replace(":", " "))
    return bytes(data)


def save(folder, data):
    with open(os.path.join(folder, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def main():
    fixtures, decode, roundtrip = sys.argv[1:4]
    stream = b""
    for name in sorted(os.listdir(fixtures)):
        if not name.endswith(".hex"):
            continue
        data = message(os.path.join(fixtures, name))
        stream += data
        save(decode, data)
        option = 1 if "-old-" in name else 0
        save(roundtrip, bytes([option]) + data)
        save(roundtrip, bytes([option + 2]) + data)
    save(decode, stream)
    save(roundtrip, b"\x00" + stream)


if __name__ == "__main__":
    main()
