import CarillonCity
public import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// One HTTP GET of a bundle from the bureau's static file server (nginx), dialling out: HTTPS
/// checked against a CA file (the broker's, by default) or the system's roots; plain HTTP only to
/// this machine (`BundleNotice.urlProblem`). The body is read up to `limit` bytes, no further.
public enum Fetch {
    /// GETs `url`.
    /// - Parameters:
    ///   - caFile: the CA that signed the server's certificate; nil: the system's trusted roots.
    ///   - limit: the most bytes accepted; a longer body is an error, not truncated.
    ///   - timeout: for the whole fetch.
    /// - Throws: `LinkError` saying what failed.
    public static func get(_ url: String, caFile: String?, limit: Int, timeout: Duration = .seconds(120))
        async throws(LinkError) -> Data
    {
        if let problem = BundleNotice.urlProblem(url) { throw LinkError(problem) }
        guard let parsed = URL(string: url), let host = parsed.host, let scheme = parsed.scheme?.lowercased() else {
            throw LinkError("not a URL: \(url)")
        }
        let tls = scheme == "https"
        let port = parsed.port ?? (tls ? 443 : 80)
        let path = (parsed.path.isEmpty ? "/" : parsed.path) + (parsed.query.map { "?" + $0 } ?? "")
        do {
            return try await withThrowingTaskGroup(of: Data?.self) { group in
                group.addTask {
                    try await Fetch.request(host: host, port: port, path: path, tls: tls, caFile: caFile, limit: limit)
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let data = first else {
                    throw LinkError("no answer from \(host) within \(timeout)")
                }
                return data
            }
        } catch let error as LinkError {
            throw error
        } catch {
            throw LinkError("cannot fetch \(url): \(error)")
        }
    }

    /// TLS 1.2 or later, checked against `caFile` or the system's roots.
    private static func clientContext(caFile: String?) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if let caFile {
            do { configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile)) } catch {
                throw LinkError("cannot read the CA file \(caFile): \(error)")
            }
        }
        return try NIOSSLContext(configuration: configuration)
    }

    private static func request(host: String, port: Int, path: String, tls: Bool, caFile: String?, limit: Int)
        async throws -> Data
    {
        let context = try tls ? clientContext(caFile: caFile) : nil
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let context {
                        // An IP address is checked against the certificate's IP names; only a name goes in SNI.
                        let name = (try? SocketAddress(ipAddress: host, port: 0)) == nil ? host : nil
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: context, serverHostname: name))
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                        wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
            head.headers.add(name: "Host", value: port == (tls ? 443 : 80) ? host : "\(host):\(port)")
            head.headers.add(name: "User-Agent", value: "carillond-city-link")
            head.headers.add(name: "Connection", value: "close")
            try await outbound.write(.head(head))
            try await outbound.write(.end(nil))
            var body = Data()
            for try await part in inbound {
                switch part {
                case .head(let response):
                    guard response.status == .ok else {
                        throw LinkError(
                            "\(host) answered \(response.status.code) \(response.status.reasonPhrase) for \(path)")
                    }
                    if let length = response.headers.first(name: "Content-Length").flatMap(Int.init), length > limit {
                        throw LinkError("\(path) is \(length) bytes; at most \(limit)")
                    }
                case .body(let buffer):
                    guard body.count + buffer.readableBytes <= limit else {
                        throw LinkError("\(path) is over \(limit) bytes")
                    }
                    body.append(contentsOf: buffer.readableBytesView)
                case .end:
                    return body
                }
            }
            throw LinkError("\(host) closed the connection before the end of \(path)")
        }
    }
}
