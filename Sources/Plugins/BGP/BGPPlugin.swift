// BGPPlugin: see Package.swift for the module layout.
