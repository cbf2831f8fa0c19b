// ClientDecodingTests: watch lines, list pages, Status errors, line splitting and query encoding, from bytes.
import Foundation
@testable import KubeSourcePlugin
import Testing

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

@Suite("Client decoding")
struct ClientDecodingTests {
    @Test("watch lines become events; a bad object is reported with kind, namespace/name and field")
    func watchLines() {
        let good = #"{"type":"ADDED","object":{"kind":"Widget","metadata":{"name":"a","namespace":"ns","resourceVersion":"5"},"spec":{"size":3}}}"#
        guard case .added(let key, let object, let version) = WatchLine<Widget>.decode(bytes(good)) else {
            Issue.record("not added")
            return
        }
        #expect(key == "ns/a" && object.spec.size == 3 && version == "5")

        let bad = #"{"type":"MODIFIED","object":{"metadata":{"name":"b","namespace":"ns","resourceVersion":"6"},"spec":{"size":"big"}}}"#
        guard case .undecodable(let type, let badKey, let badVersion, let problem) = WatchLine<Widget>.decode(bytes(bad))
        else {
            Issue.record("not undecodable")
            return
        }
        #expect(type == "MODIFIED" && badKey == "ns/b" && badVersion == "6")
        #expect(problem.kind == "Widget" && problem.namespace == "ns" && problem.name == "b")
        #expect(problem.field == "spec.size")

        let deletedBad = #"{"type":"DELETED","object":{"metadata":{"name":"c","resourceVersion":"7"}}}"#
        guard case .deleted(let deletedKey, "7") = WatchLine<Widget>.decode(bytes(deletedBad)) else {
            Issue.record("a deleted object is removed by its key even when it does not decode")
            return
        }
        #expect(deletedKey == "c")

        let bookmark = #"{"type":"BOOKMARK","object":{"kind":"Widget","metadata":{"resourceVersion":"99"}}}"#
        guard case .bookmark("99") = WatchLine<Widget>.decode(bytes(bookmark)) else {
            Issue.record("not a bookmark")
            return
        }
        let error = #"{"type":"ERROR","object":{"kind":"Status","status":"Failure","message":"too old resource version: 1 (50)","reason":"Expired","code":410}}"#
        guard case .error(410, "Expired", let message) = WatchLine<Widget>.decode(bytes(error)) else {
            Issue.record("not an error")
            return
        }
        #expect(message.contains("too old"))
        guard case .undecodable(_, nil, nil, _) = WatchLine<Widget>.decode(bytes("not json")) else {
            Issue.record("garbage is undecodable, not a crash")
            return
        }
    }

    @Test("a list page keeps the good items, reports the bad ones, and carries version and continue")
    func listPage() throws {
        let page = #"""
        {"kind":"WidgetList","metadata":{"resourceVersion":"12","continue":"abc"},"items":[
          {"metadata":{"name":"a","namespace":"ns"},"spec":{"size":1}},
          {"metadata":{"name":"b","namespace":"ns"},"spec":{}},
          {"metadata":{"name":"c"},"spec":{"size":3}}]}
        """#
        let decoded = try JSONDecoder().decode(ListPage<Widget>.self, from: Data(page.utf8))
        #expect(decoded.metadata.resourceVersion == "12" && decoded.metadata.continue == "abc")
        #expect(decoded.items.count == 3)
        guard case .failure(let problem) = decoded.items[1].result else {
            Issue.record("b decoded")
            return
        }
        #expect(problem.name == "b" && problem.namespace == "ns" && problem.field == "spec.size")
        #expect(problem.description.hasPrefix("Widget ns/b: spec.size"))
        guard case .success(let c) = decoded.items[2].result else {
            Issue.record("c did not decode")
            return
        }
        #expect(c.metadata.qualifiedName == "c")
    }

    @Test("an error status becomes a KubeError with code, reason, message, verb, path and Retry-After")
    func statusErrors() {
        let conflict = KubeStatus.error(
            code: 409, phrase: "Conflict",
            body: bytes(#"{"kind":"Status","status":"Failure","message":"the object has been modified","reason":"Conflict","code":409}"#),
            retryAfterHeader: nil, verb: "PUT", path: "/api/v1/namespaces/a/services/b")
        #expect(conflict.code == 409 && conflict.reason == "Conflict" && conflict.isConflict)
        #expect(conflict.message == "the object has been modified" && conflict.retryAfter == nil)
        #expect(conflict.description == "PUT /api/v1/namespaces/a/services/b: 409 Conflict: the object has been modified")

        let throttled = KubeStatus.error(code: 429, phrase: "Too Many Requests", body: bytes("slow down"),
                                         retryAfterHeader: " 7 ", verb: "LIST", path: "/api/v1/services")
        #expect(throttled.retryAfter == .seconds(7) && throttled.isRetryable)
        #expect(throttled.reason == "Too Many Requests" && throttled.message == "slow down")

        let details = KubeStatus.error(
            code: 500, phrase: "Internal Server Error",
            body: bytes(#"{"kind":"Status","reason":"InternalError","message":"etcd","code":500,"details":{"retryAfterSeconds":2}}"#),
            retryAfterHeader: nil, verb: "GET", path: "/x")
        #expect(details.retryAfter == .seconds(2) && details.reason == "InternalError")

        let gone = KubeStatus.error(code: 410, phrase: "Gone", body: [], retryAfterHeader: nil, verb: "WATCH",
                                    path: "/w")
        #expect(gone.isGone && !gone.isRetryable)
    }

    @Test("lines split across chunks and several in one chunk come out whole; CRLF and blank lines tolerated")
    func lineBuffer() throws {
        var buffer = LineBuffer(maximumLineLength: 32)
        buffer.append(bytes("{\"a\""))
        #expect(try buffer.nextLine() == nil)
        buffer.append(bytes(":1}\n{\"b\":2}\r\n\n{\"c\""))
        #expect(try buffer.nextLine() == bytes("{\"a\":1}"))
        #expect(try buffer.nextLine() == bytes("{\"b\":2}"))
        #expect(try buffer.nextLine() == nil)
        #expect(buffer.pendingCount == 4)
        buffer.append(bytes(":3}\n"))
        #expect(try buffer.nextLine() == bytes("{\"c\":3}"))
        buffer.append([UInt8](repeating: UInt8(ascii: "x"), count: 40))
        #expect(throws: LineBuffer.TooLong.self) { try buffer.nextLine() }
    }

    @Test("query values are percent-encoded and appended after an existing query")
    func target() {
        #expect(KubeClient.target("/api/v1/services", query: []) == "/api/v1/services")
        #expect(KubeClient.target("/api/v1/services", query: [("limit", "500"), ("continue", "a+b=/c&d")])
                == "/api/v1/services?limit=500&continue=a%2Bb%3D/c%26d")
        #expect(KubeClient.target("/api/v1/services?labelSelector=x%3Dy", query: [("watch", "true")])
                == "/api/v1/services?labelSelector=x%3Dy&watch=true")
    }
}
