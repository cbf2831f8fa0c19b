import Foundation

/// Makes a TCP port on the test process's loopback reachable at the same address inside lab namespaces: a server the
/// tests run in-process (the Kubernetes API test server on `127.0.0.1:<port>`) for daemons that run in namespaces.
///
/// One Python process (Debian's python3) in the test's own namespace opens a listening socket on `127.0.0.1:<port>`
/// inside each namespace (`setns(2)` on its main thread, then back: a socket stays in the namespace it was created
/// in) and relays every connection to `127.0.0.1:<port>` here. Nothing is added to the host's namespace (no
/// interface, no address, no route), the clients see the very URL the server's certificate was made for
/// (`https://127.0.0.1:<port>`, an IP SAN of the test CA), and TLS passes through untouched.
public final class NamespaceForwarder: Sendable {
    /// The relay process (stopped by `stop`; a forwarder that is let go is killed with it).
    public let process: LabProcess
    /// The port relayed.
    public let port: Int

    private init(process: LabProcess, port: Int) {
        self.process = process
        self.port = port
    }

    /// Starts relaying `127.0.0.1:<port>` of each of `namespaces` (names under `/run/netns`) to `127.0.0.1:<port>` of
    /// the test's namespace, with its script and log in `directory`, and waits until every listener is open.
    public static func start(port: Int, into namespaces: [String], directory: URL) async throws -> NamespaceForwarder {
        let python = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "python3"
        try Tools.require([Tools.Tool(program: python, package: "python3")])
        let script = directory.appendingPathComponent("forward.py")
        try Self.script.write(to: script, atomically: true, encoding: .utf8)
        let process = try LabProcess(name: "forward-\(port)",
                                     command: [python, script.path, "\(port)"] + namespaces,
                                     logFile: directory.appendingPathComponent("forward-\(port).log"))
        let forwarder = NamespaceForwarder(process: process, port: port)
        do {
            try await process.waitForLog("the forwarder's `ready`", within: .seconds(20)) { $0 == "ready" }
        } catch {
            await forwarder.stop()
            throw error
        }
        return forwarder
    }

    /// Kills the relay (its connections end) and waits until it is gone.
    public func stop() async { await process.stop(SIGKILL) }

    /// The relay (standard library only; Python 3.11 has no `os.setns`, hence ctypes).
    static let script = #"""
        # Relays 127.0.0.1:PORT inside each NAMESPACE to 127.0.0.1:PORT of this process's own namespace.
        # Usage: forward.py PORT NAMESPACE...   (prints "ready" once every listener is open; one line per error)
        import ctypes, os, socket, sys, threading

        CLONE_NEWNET = 0x40000000
        libc = ctypes.CDLL(None, use_errno=True)

        def enter(fd, what):
            if libc.setns(fd, CLONE_NEWNET) != 0:
                error = ctypes.get_errno()
                raise OSError(error, "setns(%s): %s" % (what, os.strerror(error)))

        port, namespaces = int(sys.argv[1]), sys.argv[2:]
        home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        listeners = []
        for name in namespaces:
            fd = os.open("/run/netns/" + name, os.O_RDONLY)
            enter(fd, name)
            os.close(fd)
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", port))
            listener.listen(128)
            listeners.append((name, listener))
        # Back home before any thread starts: threads (and the sockets they connect) are in this namespace.
        enter(home, "home")

        def pump(source, sink, done):
            try:
                while True:
                    data = source.recv(65536)
                    if not data:
                        break
                    sink.sendall(data)
            except OSError:
                pass
            try:
                sink.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            if done.acquire(blocking=False):
                return
            source.close()
            sink.close()

        def serve(name, listener):
            while True:
                client, _ = listener.accept()
                try:
                    upstream = socket.create_connection(("127.0.0.1", port))
                except OSError as error:
                    print("connect from", name, "failed:", error, flush=True)
                    client.close()
                    continue
                for socket_ in (client, upstream):
                    socket_.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                done = threading.Semaphore(1)
                threading.Thread(target=pump, args=(client, upstream, done), daemon=True).start()
                threading.Thread(target=pump, args=(upstream, client, done), daemon=True).start()

        threads = [threading.Thread(target=serve, args=entry, daemon=True) for entry in listeners]
        for thread in threads:
            thread.start()
        print("ready", flush=True)
        for thread in threads:
            thread.join()
        """#
}
