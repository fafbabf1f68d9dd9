/// A `transport_url` as oslo.messaging reads it (`TransportURL.parse`, then the rabbit driver's
/// `Connection.__init__` and kombu), for `rabbit://` (and `kombu+amqp://`, `kombu+pyamqp://`):
///
///     rabbit://user:pass@h1:5672,user2:pass2@[::1]:5671/vhost?ssl=1&heartbeat_timeout_threshold=60
///
/// - Hosts are split on `,`, in URL order (oslo shuffles them when there are several; kombu then
///   fails over round-robin). Each host has its own credentials: `user:pass@` is split at the
///   last `@` and the first `:`, both percent-decoded. A host without credentials does not
///   inherit another's: it logs in as kombu's default `guest`/`guest`.
/// - `[v6]` or `[v6]:port` for IPv6 (`[fe80::1%25eth0]` for a zone); host names are ASCII lower
///   cased and percent-decoded as kombu does; a bare address with several `:` is IPv6 without a port;
///   the port defaults to 5672 (also for port 0, as oslo's `port or 5672`); an empty host name is
///   kombu's `localhost`. No host at all is `guest:guest@localhost:5672`.
/// - The virtual host is the path after the first `/`, percent-decoded by oslo and then again by
///   kombu (`%252F` is `/`); empty is `/`.
/// - The query (`parse_qs`: `&`-separated, `+` is a space, blank values dropped, a repeated key
///   joined with `,`) overrides `[oslo_messaging_rabbit]` options; see `RabbitOptions`.
///
/// `description` and every error name the URL with each password replaced by `***`.
public struct TransportURL: Equatable, Sendable {
    public struct Host: Equatable, Sendable {
        /// Without brackets for IPv6.
        public var hostname: String
        public var port: Int
        /// Percent-decoded; nil when the URL gives none for this host.
        public var username: String?
        /// Percent-decoded; nil when the URL gives none for this host.
        public var password: String?

        public static let defaultPort = 5672
        public static let defaultCredential = "guest"

        public var isIPv6: Bool { hostname.contains(":") }

        /// What the broker is asked for (kombu's defaults filled in).
        public var loginUsername: String { username.flatMap { $0.isEmpty ? nil : $0 } ?? Self.defaultCredential }
        public var loginPassword: String { password.flatMap { $0.isEmpty ? nil : $0 } ?? Self.defaultCredential }

        /// `host:port`, `[v6]:port`: what a log line may show.
        public var address: String { (isIPv6 ? "[\(hostname)]" : hostname) + ":\(port)" }
    }

    /// Lower case, as `urlparse` returns it: one of `schemes`.
    public var scheme: String
    /// In URL order; never empty.
    public var hosts: [Host]
    /// The virtual host the broker is asked for.
    public var virtualHost: String
    /// Query parameters in first-appearance order, values decoded and joined as `parse_qs` does.
    public var query: [(String, String)]
    /// The URL as written with every password replaced by `***`.
    public var description: String

    public static func == (lhs: TransportURL, rhs: TransportURL) -> Bool {
        lhs.scheme == rhs.scheme && lhs.hosts == rhs.hosts && lhs.virtualHost == rhs.virtualHost
            && lhs.query.map(\.0) == rhs.query.map(\.0) && lhs.query.map(\.1) == rhs.query.map(\.1)
    }

    public static let option = "[oslo_messaging_notifications] transport_url"

    /// The schemes oslo loads the rabbit driver for and kombu then connects to RabbitMQ with
    /// (`kombu://` alone fails in kombu; `amqp://` has no oslo driver).
    public static let schemes: Set<String> = ["rabbit", "kombu+amqp", "kombu+pyamqp"]

    /// - Parameter option: the option the URL came from, for errors
    ///   (`[oslo_messaging_notifications] transport_url` or `[DEFAULT] transport_url`).
    public static func parse(_ text: String, option: String = Self.option) throws(DirtyRingError) -> TransportURL {
        let redacted = redact(text)
        func failure(_ why: String) -> DirtyRingError {
            DirtyRingError(kind: .invalidConfig, message: "\(option) \(redacted): \(why)", option: option, value: redacted)
        }
        let trimmed = text.drop { $0 == " " || ($0.asciiValue ?? 0x21) < 0x21 }
        guard let colon = trimmed.firstIndex(of: ":") else { throw failure("no scheme specified") }
        let schemeText = trimmed[..<colon]
        guard let first = schemeText.first, first.isASCII, first.isLetter,
              schemeText.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }) else {
            throw failure("no scheme specified")
        }
        let scheme = schemeText.lowercased()
        guard Self.schemes.contains(scheme) else {
            throw failure("transport \(scheme) is not RabbitMQ (rabbit://)")
        }
        var rest = trimmed[trimmed.index(after: colon)...]
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        var queryText = Substring("")
        if let question = rest.firstIndex(of: "?") {
            queryText = rest[rest.index(after: question)...]
            rest = rest[..<question]
        }
        var netloc = Substring("")
        var path = rest
        if rest.hasPrefix("//") {
            let afterSlashes = rest.dropFirst(2)
            let end = afterSlashes.firstIndex(of: "/") ?? afterSlashes.endIndex
            netloc = afterSlashes[..<end]
            path = afterSlashes[end...]
        }
        if netloc.contains("[") != netloc.contains("]") { throw failure("invalid IPv6 URL") }

        var hosts: [Host] = []
        for entry in netloc.split(separator: ",", omittingEmptySubsequences: true) {
            var hostPart = entry
            var username: String?
            var password: String?
            if let at = entry.lastIndex(of: "@") {
                let credentials = entry[..<at]
                hostPart = entry[entry.index(after: at)...]
                if let separator = credentials.firstIndex(of: ":") {
                    username = PercentDecoding.unquote(credentials[..<separator])
                    password = PercentDecoding.unquote(credentials[credentials.index(after: separator)...])
                } else {
                    username = PercentDecoding.unquote(credentials)
                }
            }
            let (hostname, port) = try hostAndPort(hostPart, failure: failure)
            // kombu reads the host name through `urlparse(...).hostname`: ASCII lower case,
            // then percent-decoded (an IPv6 zone `%25eth0` is `%eth0`).
            let name = PercentDecoding.unquote(String(hostname.map { $0.isASCII ? Character($0.lowercased()) : $0 }))
            hosts.append(Host(hostname: name.isEmpty ? "localhost" : name,
                              port: port ?? Host.defaultPort, username: username, password: password))
        }
        if hosts.isEmpty {
            hosts = [Host(hostname: "localhost", port: Host.defaultPort, username: nil, password: nil)]
        }

        var virtualHost = ""
        if path.hasPrefix("/") {
            virtualHost = PercentDecoding.unquote(PercentDecoding.unquote(path.dropFirst()))
        }
        if virtualHost.isEmpty { virtualHost = "/" }

        var query: [(String, String)] = []
        for pair in queryText.split(separator: "&", omittingEmptySubsequences: true) {
            guard let equals = pair.firstIndex(of: "=") else { continue }
            let value = PercentDecoding.unquote(pair[pair.index(after: equals)...], plus: true)
            guard !value.isEmpty else { continue }
            let key = PercentDecoding.unquote(pair[..<equals], plus: true)
            if let index = query.firstIndex(where: { $0.0 == key }) {
                query[index].1 += "," + value
            } else {
                query.append((key, value))
            }
        }
        return TransportURL(scheme: scheme, hosts: hosts, virtualHost: virtualHost, query: query, description: redacted)
    }

    /// `netutils.parse_host_port`, with the port checked (oslo would fail later, in kombu).
    private static func hostAndPort(
        _ text: Substring, failure: (String) -> DirtyRingError
    ) throws(DirtyRingError) -> (String, Int?) {
        var portText: Substring?
        var hostname: Substring
        if text.hasPrefix("[") {
            let inside = text.dropFirst()
            let parts = inside.split(separator: "]", omittingEmptySubsequences: false)
            guard parts.count == 2 else { throw failure("invalid IPv6 host") }
            hostname = parts[0]
            if parts[1].contains(":") {
                let pieces = parts[1].split(separator: ":", omittingEmptySubsequences: false)
                guard pieces.count == 2, pieces[0].isEmpty else { throw failure("invalid port") }
                portText = pieces[1]
            } else if !parts[1].isEmpty {
                throw failure("invalid host")
            }
            guard !hostname.isEmpty, hostname.allSatisfy({ $0.isHexDigit || ":.%".contains($0) || $0.isLetter || $0.isNumber }),
                  hostname.contains(":") else {
                throw failure("invalid IPv6 address")
            }
        } else if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            hostname = text[..<colon]
            portText = text[text.index(after: colon)...]
        } else {
            hostname = text
        }
        if hostname.contains(where: { $0 == " " || $0 == "[" || $0 == "]" || ($0.asciiValue ?? 0x21) < 0x21 }) {
            throw failure("invalid host")
        }
        guard let portText else { return (String(hostname), nil) }
        guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
              let port = Int(portText), port <= 65535 else {
            throw failure("invalid port")
        }
        return (String(hostname), port == 0 ? nil : port)
    }

    /// The URL with the password of every host replaced by `***`; also for text that does not
    /// parse, erring on the side of hiding: in the authority (up to the first `/`, `?` or `#`
    /// after its last `@`), a host entry with `@` keeps only its user name (`user:***@host`, or
    /// `***@host` without a `:`), and an entry before the last `@` that is not `host[:port]`
    /// becomes `***`.
    public static func redact(_ text: String) -> String {
        let characters = Array(text)
        var schemeEnd: Int?
        if characters.count >= 3 {
            for index in 0..<(characters.count - 2) where characters[index] == ":" && characters[index + 1] == "/"
                && characters[index + 2] == "/" {
                schemeEnd = index + 3
                break
            }
        }
        guard let schemeEnd else { return text.contains("@") ? "***" : text }
        let afterScheme = characters[schemeEnd...]
        let lastAt = afterScheme.lastIndex(of: "@")
        let end = afterScheme[(lastAt ?? schemeEnd)...].firstIndex(where: { "/?#".contains($0) }) ?? characters.count
        guard let lastAt else { return text }
        let authority = String(characters[schemeEnd..<end])
        var entries: [String] = []
        var offset = schemeEnd
        for entry in authority.split(separator: ",", omittingEmptySubsequences: false) {
            let entryEnd = offset + entry.count
            defer { offset = entryEnd + 1 }
            if let at = entry.lastIndex(of: "@") {
                let credentials = entry[..<at]
                if let colon = credentials.firstIndex(of: ":") {
                    entries.append(String(credentials[...colon]) + "***" + String(entry[at...]))
                } else {
                    entries.append("***" + String(entry[at...]))
                }
            } else if entryEnd <= lastAt && !looksLikeHost(entry) {
                entries.append("***")
            } else {
                entries.append(String(entry))
            }
        }
        return String(characters[..<schemeEnd]) + entries.joined(separator: ",") + String(characters[end...])
    }

    private static func looksLikeHost(_ entry: Substring) -> Bool {
        let hostCharacters = { (c: Character) in c.isASCII && (c.isLetter || c.isNumber || "-._".contains(c)) }
        if entry.hasPrefix("[") {
            guard let close = entry.firstIndex(of: "]") else { return false }
            let rest = entry[entry.index(after: close)...]
            return rest.isEmpty || (rest.hasPrefix(":") && rest.dropFirst().allSatisfy { $0.isASCII && $0.isNumber })
        }
        let parts = entry.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2, parts[0].allSatisfy(hostCharacters) else { return false }
        return parts.count == 1 || parts[1].allSatisfy { $0.isASCII && $0.isNumber }
    }
}

extension TransportURL: CustomStringConvertible {}
