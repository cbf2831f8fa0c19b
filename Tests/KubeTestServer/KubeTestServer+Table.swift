import Foundation

/// `meta.k8s.io/v1` Table answers: what `kubectl get` asks for (`Accept: application/json;as=Table;…`) and prints.
extension KubeTestServer {
    /// A Table of a list's items, with the list's metadata (resourceVersion, continue).
    static func table(_ type: ResourceType, list: JSONValue) -> JSONValue {
        table(type, objects: list["items"]?.arrayValue ?? [], metadata: list["metadata"] ?? [:])
    }

    /// A Table of `objects`: a Service's NAME, TYPE, CLUSTER-IP, EXTERNAL-IP, PORT(S), AGE; NAME and AGE for
    /// other resources.
    static func table(_ type: ResourceType, objects: [JSONValue], metadata: JSONValue) -> JSONValue {
        let now = Date()
        var columns: [(String, String, String)] = [("Name", "string", "name")]
        if type == .services {
            columns += [("Type", "string", ""), ("Cluster-IP", "string", ""), ("External-IP", "string", ""),
                        ("Port(s)", "string", "")]
        }
        columns.append(("Age", "string", ""))
        let definitions: [JSONValue] = columns.map {
            ["name": .string($0.0), "type": .string($0.1), "format": .string($0.2), "description": "", "priority": 0]
        }
        let rows: [JSONValue] = objects.map { object in
            var cells: [JSONValue] = [object[path: ["metadata", "name"]] ?? ""]
            if type == .services { cells += serviceCells(object) }
            cells.append(.string(age(object, now: now)))
            return ["cells": .array(cells),
                    "object": ["kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                               "metadata": object["metadata"] ?? [:]]]
        }
        return ["kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": metadata,
                "columnDefinitions": .array(definitions), "rows": .array(rows)]
    }

    private static func serviceCells(_ service: JSONValue) -> [JSONValue] {
        let type = service[path: ["spec", "type"]]?.stringValue ?? "ClusterIP"
        let clusterIP = service[path: ["spec", "clusterIP"]]?.stringValue ?? "<none>"
        let ingress = (service[path: ["status", "loadBalancer", "ingress"]]?.arrayValue ?? []).compactMap {
            $0["ip"]?.stringValue ?? $0["hostname"]?.stringValue
        }
        let external: String
        if !ingress.isEmpty {
            external = ingress.joined(separator: ",")
        } else if type == "LoadBalancer" {
            external = "<pending>"
        } else {
            external = "<none>"
        }
        let ports = (service[path: ["spec", "ports"]]?.arrayValue ?? []).map { port -> String in
            let number = port["port"]?.intValue.map(String.init) ?? "?"
            let node = port["nodePort"]?.intValue.map { ":\($0)" } ?? ""
            return "\(number)\(node)/\(port["protocol"]?.stringValue ?? "TCP")"
        }
        return [.string(type), .string(clusterIP), .string(external),
                .string(ports.isEmpty ? "<none>" : ports.joined(separator: ","))]
    }

    private static func age(_ object: JSONValue, now: Date) -> String {
        guard let text = object[path: ["metadata", "creationTimestamp"]]?.stringValue,
              let created = ISO8601DateFormatter().date(from: text) else { return "<unknown>" }
        let seconds = max(0, Int(now.timeIntervalSince(created)))
        switch seconds {
        case ..<120: return "\(seconds)s"
        case ..<(3 * 3600): return "\(seconds / 60)m"
        case ..<(48 * 3600): return "\(seconds / 3600)h"
        default: return "\(seconds / 86400)d"
        }
    }
}
