import Foundation
import NIOCore
import NIOHTTP1

/// A whole HTTP request as the server routes it.
struct Request: Sendable {
    var head: HTTPRequestHead
    var body: [UInt8]

    /// The path without the query.
    var path: String { String(head.uri.split(separator: "?", maxSplits: 1).first ?? "") }

    /// The query parameters, percent-decoded.
    var query: [String: String] {
        guard let query = head.uri.split(separator: "?", maxSplits: 1).dropFirst().first else { return [:] }
        var result: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            let decode = { (text: Substring) in
                text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
            }
            result[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return result
    }
}

/// Collects a request's head and body and hands the whole request to the server, which answers on the channel.
final class HTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let server: KubeTestServer
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []

    init(server: KubeTestServer) { self.server = server }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = []
        case .body(let buffer):
            body += buffer.readableBytesView
        case .end:
            guard let head else { return }
            let request = Request(head: head, body: body)
            let channel = context.channel, server = self.server
            self.head = nil
            body = []
            Task { await server.serve(request, on: channel) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
