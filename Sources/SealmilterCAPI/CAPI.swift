// The C interface declared in include/sealmilter.h, as @c exports over SealEngine.
//
// Handles are Unmanaged boxes:
//   sealmilter_engine *  -> EngineBox  (+1 on open; each SessionBox holds a strong
//                                        reference, so the engine outlives release
//                                        while sessions still use it)
//   sealmilter_session * -> SessionBox (+1 on open, -1 on close)
// Strings handed out are malloc'd C strings owned by the box: engine settings live
// as long as the engine; session strings live in a cache that is emptied at the
// next call that can change the session's state (see SessionBox.invalidate()).
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import SealEngine
import SealPolicy

// MARK: - Error codes and decisions (mirror of sealmilter.h)

private let OK: Int32 = 0
private let EPOLICY: Int32 = 1
private let EMISUSE: Int32 = 2
private let EIO: Int32 = 3
private let EINTERNAL: Int32 = 4
private let EKEYFILE: Int32 = 5
/// Decision returned when a call cannot be carried out (NULL or bad argument): fail closed.
private let failClosed: Int32 = Decision.tempfail.rawValue

// MARK: - Boxes

final class EngineBox {
    let engine: Engine
    let socket: UnsafeMutablePointer<CChar>?
    let metricsListen: UnsafeMutablePointer<CChar>?
    /// The macro list of each milter stage, for each combination of skipped
    /// CONNECT/HELO stages (index: stage * 4 + skipped bits), made once.
    let macroLists: [UnsafeMutablePointer<CChar>]

    init(engine: Engine) {
        self.engine = engine
        socket = engine.policy.milter.socket.map { strdup($0) }
        metricsListen = engine.policy.milter.metricsListen.map { strdup($0) }
        var lists: [UnsafeMutablePointer<CChar>] = []
        for stage in MilterStage.allCases {
            for skipped in 0..<4 {
                var s: Needs = []
                if skipped & 1 != 0 { s.insert(.connect) }
                if skipped & 2 != 0 { s.insert(.helo) }
                lists.append(strdup(engine.macros(at: stage, skipped: s).joined(separator: " "))!)
            }
        }
        macroLists = lists
    }

    deinit {
        free(socket)
        free(metricsListen)
        for p in macroLists { free(p) }
    }
}

final class SessionBox {
    let engineBox: EngineBox  // the session's own reference to the engine
    let session: Session
    /// An error found by this layer (bad argument, body read failure); "" when none.
    var capiError: String = ""
    /// C strings handed out since the last state-changing call, by key.
    var strings: [String: UnsafeMutablePointer<CChar>] = [:]
    /// The chunk handed out by the last body_read.
    var bodyChunk: UnsafeMutableRawPointer?

    init(engineBox: EngineBox) {
        self.engineBox = engineBox
        self.session = Session(engine: engineBox.engine)
    }

    /// A C string for `key`, made from `make()` once per state of the session.
    func cString(_ key: String, _ make: () -> String) -> UnsafePointer<CChar> {
        if let p = strings[key] { return UnsafePointer(p) }
        let p = strdup(make())!
        strings[key] = p
        return UnsafePointer(p)
    }

    /// Called at the start of every call that can change the session: frees what
    /// was handed out before and clears this layer's error.
    func invalidate() {
        for (_, p) in strings { free(p) }
        strings.removeAll(keepingCapacity: true)
        capiError = ""
    }

    func freeBodyChunk() {
        free(bodyChunk)
        bodyChunk = nil
    }

    deinit {
        for (_, p) in strings { free(p) }
        free(bodyChunk)
    }
}

@inline(__always)
private func engineBox(_ p: OpaquePointer?) -> EngineBox? {
    guard let p else { return nil }
    return Unmanaged<EngineBox>.fromOpaque(UnsafeRawPointer(p)).takeUnretainedValue()
}

@inline(__always)
private func sessionBox(_ p: OpaquePointer?) -> SessionBox? {
    guard let p else { return nil }
    return Unmanaged<SessionBox>.fromOpaque(UnsafeRawPointer(p)).takeUnretainedValue()
}

/// Runs a state-changing call on a session: invalidates handed-out strings first.
@inline(__always)
private func mutating(_ p: OpaquePointer?, _ body: (SessionBox) -> Int32) -> Int32 {
    guard let box = sessionBox(p) else { return failClosed }
    box.invalidate()
    return body(box)
}

private func string(_ p: UnsafePointer<CChar>?) -> String? {
    p.map { String(cString: $0) }
}

// MARK: - Version

@c(sealmilter_version)
public func sealmilterVersion() -> UnsafePointer<CChar> {
    StaticString("0.1.0").utf8Start.withMemoryRebound(to: CChar.self, capacity: 6) { $0 }
}

// MARK: - Engine

@c(sealmilter_engine_open)
public func sealmilterEngineOpen(
    _ policyPath: UnsafePointer<CChar>?,
    _ engineOut: UnsafeMutablePointer<OpaquePointer?>?,
    _ errmsg: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    errmsg?.pointee = nil
    engineOut?.pointee = nil
    guard let policyPath, let engineOut else {
        errmsg?.pointee = strdup("sealmilter_engine_open: policy_path and engine must not be NULL")
        return EMISUSE
    }
    let path = String(cString: policyPath)
    do {
        let engine = try Engine(policyPath: path, registry: Composition.registry)
        let box = EngineBox(engine: engine)
        engineOut.pointee = OpaquePointer(Unmanaged.passRetained(box).toOpaque())
        return OK
    } catch {
        errmsg?.pointee = strdup(error.description)
        return EPOLICY
    }
}

@c(sealmilter_engine_check_keys)
public func sealmilterEngineCheckKeys(
    _ engine: OpaquePointer?,
    _ uid: Int,
    _ errmsg: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    errmsg?.pointee = nil
    guard let box = engineBox(engine) else {
        errmsg?.pointee = strdup("sealmilter_engine_check_keys: engine must not be NULL")
        return EMISUSE
    }
    guard uid >= -1, uid <= Int(UInt32.max) else {
        errmsg?.pointee = strdup("sealmilter_engine_check_keys: uid \(uid) is out of range")
        return EMISUSE
    }
    let owner = uid == -1 ? geteuid() : uid_t(uid)
    var problems = box.engine.policy.fileProblems(owner: owner).map(\.description)
    // The marker secret must also be usable as one (read when the engine was opened).
    if problems.isEmpty, let p = box.engine.markerKeyProblem {
        problems.append("\(box.engine.policy.source): submission.marker_key: \(p)")
    }
    if problems.isEmpty { return OK }
    errmsg?.pointee = strdup(problems.joined(separator: "\n"))
    return EKEYFILE
}

@c(sealmilter_engine_release)
public func sealmilterEngineRelease(_ engine: OpaquePointer?) {
    guard let engine else { return }
    Unmanaged<EngineBox>.fromOpaque(UnsafeRawPointer(engine)).release()
}

@c(sealmilter_engine_needs)
public func sealmilterEngineNeeds(_ engine: OpaquePointer?) -> UInt32 {
    engineBox(engine)?.engine.needs.rawValue ?? 0
}

@c(sealmilter_engine_modifications)
public func sealmilterEngineModifications(_ engine: OpaquePointer?) -> UInt32 {
    engineBox(engine)?.engine.modifications.rawValue ?? 0
}

@c(sealmilter_engine_macros)
public func sealmilterEngineMacros(_ engine: OpaquePointer?, _ stage: Int32, _ skipped: UInt32) -> UnsafePointer<CChar>? {
    guard let box = engineBox(engine), let st = MilterStage(rawValue: stage) else { return nil }
    var bits = 0
    if skipped & Needs.connect.rawValue != 0 { bits |= 1 }
    if skipped & Needs.helo.rawValue != 0 { bits |= 2 }
    return UnsafePointer(box.macroLists[Int(st.rawValue) * 4 + bits])
}

@c(sealmilter_engine_setting)
public func sealmilterEngineSetting(_ engine: OpaquePointer?, _ name: UnsafePointer<CChar>?) -> UnsafePointer<CChar>? {
    guard let box = engineBox(engine), let name else { return nil }
    switch String(cString: name) {
    case "socket": return box.socket.map { UnsafePointer($0) }
    case "metrics_listen": return box.metricsListen.map { UnsafePointer($0) }
    default: return nil
    }
}

@c(sealmilter_free)
public func sealmilterFree(_ p: UnsafeMutableRawPointer?) {
    free(p)
}

// MARK: - Session lifecycle

@c(sealmilter_session_open)
public func sealmilterSessionOpen(_ engine: OpaquePointer?, _ sessionOut: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    sessionOut?.pointee = nil
    guard let eb = engineBox(engine), let sessionOut else { return EMISUSE }
    let box = SessionBox(engineBox: eb)
    sessionOut.pointee = OpaquePointer(Unmanaged.passRetained(box).toOpaque())
    return OK
}

@c(sealmilter_session_close)
public func sealmilterSessionClose(_ session: OpaquePointer?) {
    guard let session else { return }
    Unmanaged<SessionBox>.fromOpaque(UnsafeRawPointer(session)).release()
}

@c(sealmilter_session_errmsg)
public func sealmilterSessionErrmsg(_ session: OpaquePointer?) -> UnsafePointer<CChar> {
    guard let box = sessionBox(session) else {
        return StaticString("sealmilter_session_errmsg: session is NULL").utf8Start
            .withMemoryRebound(to: CChar.self, capacity: 1) { $0 }
    }
    let message = box.capiError.isEmpty ? box.session.lastError : box.capiError
    return box.cString("errmsg") { message }
}

// MARK: - Stages

@c(sealmilter_session_connect)
public func sealmilterSessionConnect(_ s: OpaquePointer?, _ hostname: UnsafePointer<CChar>?, _ address: UnsafePointer<CChar>?) -> Int32 {
    mutating(s) { box in
        box.session.connect(hostname: string(hostname), address: string(address)).rawValue
    }
}

@c(sealmilter_session_helo)
public func sealmilterSessionHelo(_ s: OpaquePointer?, _ helo: UnsafePointer<CChar>?) -> Int32 {
    mutating(s) { box in
        guard let helo else { box.capiError = "sealmilter_session_helo: helo is NULL"; return failClosed }
        return box.session.helo(String(cString: helo)).rawValue
    }
}

@c(sealmilter_session_macro)
public func sealmilterSessionMacro(_ s: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ value: UnsafePointer<CChar>?) -> Int32 {
    guard let box = sessionBox(s) else { return EMISUSE }
    box.invalidate()
    guard let name, let value else {
        box.capiError = "sealmilter_session_macro: name and value must not be NULL"
        return EMISUSE
    }
    box.session.macro(name: String(cString: name), value: String(cString: value))
    return OK
}

@c(sealmilter_session_mail_from)
public func sealmilterSessionMailFrom(_ s: OpaquePointer?, _ sender: UnsafePointer<CChar>?) -> Int32 {
    mutating(s) { box in
        box.freeBodyChunk()
        guard let sender else { box.capiError = "sealmilter_session_mail_from: sender is NULL"; return failClosed }
        return box.session.mailFrom(String(cString: sender)).rawValue
    }
}

@c(sealmilter_session_rcpt)
public func sealmilterSessionRcpt(_ s: OpaquePointer?, _ recipient: UnsafePointer<CChar>?) -> Int32 {
    mutating(s) { box in
        guard let recipient else { box.capiError = "sealmilter_session_rcpt: recipient is NULL"; return failClosed }
        return box.session.rcpt(String(cString: recipient)).rawValue
    }
}

@c(sealmilter_session_header)
public func sealmilterSessionHeader(_ s: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ value: UnsafePointer<CChar>?) -> Int32 {
    mutating(s) { box in
        guard let name, let value else {
            box.capiError = "sealmilter_session_header: name and value must not be NULL"
            return failClosed
        }
        return box.session.header(name: String(cString: name), value: String(cString: value)).rawValue
    }
}

@c(sealmilter_session_end_of_headers)
public func sealmilterSessionEndOfHeaders(_ s: OpaquePointer?) -> Int32 {
    mutating(s) { box in box.session.endOfHeaders().rawValue }
}

@c(sealmilter_session_needs_body)
public func sealmilterSessionNeedsBody(_ s: OpaquePointer?) -> Int32 {
    // Without a session, say yes: the caller then passes the body (the safe side).
    guard let box = sessionBox(s) else { return 1 }
    return box.session.needsBody ? 1 : 0
}

/// A pointer-plus-length buffer handed to the session; a NULL pointer with a
/// positive length fails closed (tempfail) with a message.
private func withBuffer(_ s: OpaquePointer?, _ data: UnsafePointer<UInt8>?, _ len: Int, _ what: String,
                        _ call: (SessionBox, UnsafeRawBufferPointer) -> Decision) -> Int32 {
    mutating(s) { box in
        if len == 0 { return call(box, UnsafeRawBufferPointer(start: nil, count: 0)).rawValue }
        guard let data, len > 0 else {
            box.capiError = "\(what): data is NULL"
            return failClosed
        }
        return call(box, UnsafeRawBufferPointer(start: data, count: len)).rawValue
    }
}

@c(sealmilter_session_body)
public func sealmilterSessionBody(_ s: OpaquePointer?, _ data: UnsafePointer<UInt8>?, _ len: Int) -> Int32 {
    withBuffer(s, data, len, "sealmilter_session_body") { $0.session.body($1) }
}

@c(sealmilter_session_end_of_message)
public func sealmilterSessionEndOfMessage(_ s: OpaquePointer?) -> Int32 {
    mutating(s) { box in
        box.freeBodyChunk()
        return box.session.endOfMessage().rawValue
    }
}

@c(sealmilter_session_abort)
public func sealmilterSessionAbort(_ s: OpaquePointer?) {
    guard let box = sessionBox(s) else { return }
    box.invalidate()
    box.freeBodyChunk()
    box.session.abort()
}

@c(sealmilter_session_raw)
public func sealmilterSessionRaw(_ s: OpaquePointer?, _ data: UnsafePointer<UInt8>?, _ len: Int) -> Int32 {
    withBuffer(s, data, len, "sealmilter_session_raw") { $0.session.raw($1) }
}

// MARK: - Result

@c(sealmilter_session_reply)
public func sealmilterSessionReply(
    _ s: OpaquePointer?,
    _ code: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
    _ xcode: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
    _ text: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
    code?.pointee = nil
    xcode?.pointee = nil
    text?.pointee = nil
    guard let box = sessionBox(s), let reply = box.session.reply else { return 0 }
    code?.pointee = box.cString("reply.code") { reply.code }
    xcode?.pointee = box.cString("reply.xcode") { reply.extendedCode }
    text?.pointee = box.cString("reply.text") { reply.text }
    return 1
}

@c(sealmilter_session_header_edit_count)
public func sealmilterSessionHeaderEditCount(_ s: OpaquePointer?) -> Int {
    sessionBox(s)?.session.headerEdits.count ?? 0
}

@c(sealmilter_session_header_edit)
public func sealmilterSessionHeaderEdit(
    _ s: OpaquePointer?, _ i: Int,
    _ op: UnsafeMutablePointer<Int32>?,
    _ name: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
    _ value: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
    _ index: UnsafeMutablePointer<Int32>?
) -> Int32 {
    guard let box = sessionBox(s) else { return EMISUSE }
    let edits = box.session.headerEdits
    guard i >= 0, i < edits.count else { return EMISUSE }
    let edit = edits[i]
    op?.pointee = edit.operation.rawValue
    name?.pointee = box.cString("hedit.\(i).name") { edit.name }
    if let v = edit.value, edit.operation != .delete {
        value?.pointee = box.cString("hedit.\(i).value") { v }
    } else {
        value?.pointee = nil
    }
    // An insert position is never negative (Postfix refuses one as a configuration error).
    index?.pointee = Int32(clamping: edit.operation == .insert ? max(0, edit.index) : edit.index)
    return OK
}

@c(sealmilter_session_rcpt_edit_count)
public func sealmilterSessionRcptEditCount(_ s: OpaquePointer?) -> Int {
    sessionBox(s)?.session.recipientEdits.count ?? 0
}

@c(sealmilter_session_rcpt_edit)
public func sealmilterSessionRcptEdit(
    _ s: OpaquePointer?, _ i: Int,
    _ op: UnsafeMutablePointer<Int32>?,
    _ address: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
    guard let box = sessionBox(s) else { return EMISUSE }
    let edits = box.session.recipientEdits
    guard i >= 0, i < edits.count else { return EMISUSE }
    let edit = edits[i]
    op?.pointee = edit.operation.rawValue
    address?.pointee = box.cString("redit.\(i).address") { edit.address }
    return OK
}

@c(sealmilter_session_quarantine)
public func sealmilterSessionQuarantine(_ s: OpaquePointer?) -> UnsafePointer<CChar>? {
    guard let box = sessionBox(s), let reason = box.session.quarantineReason else { return nil }
    return box.cString("quarantine") { reason }
}

@c(sealmilter_session_body_replaced)
public func sealmilterSessionBodyReplaced(_ s: OpaquePointer?) -> Int32 {
    guard let box = sessionBox(s) else { return 0 }
    return box.session.bodyReplaced ? 1 : 0
}

@c(sealmilter_session_body_read)
public func sealmilterSessionBodyRead(
    _ s: OpaquePointer?,
    _ data: UnsafeMutablePointer<UnsafePointer<UInt8>?>?,
    _ len: UnsafeMutablePointer<Int>?
) -> Int32 {
    data?.pointee = nil
    len?.pointee = 0
    guard let box = sessionBox(s), let data, let len else { return EMISUSE }
    box.invalidate()
    box.freeBodyChunk()
    do {
        // Skip empty chunks: a zero length means the end of the body to the caller.
        while let chunk = try box.session.readReplacementBody() {
            if chunk.isEmpty { continue }
            guard let buffer = malloc(chunk.count) else {
                box.capiError = "sealmilter_session_body_read: out of memory"
                return EIO
            }
            chunk.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            box.bodyChunk = buffer
            data.pointee = UnsafePointer(buffer.assumingMemoryBound(to: UInt8.self))
            len.pointee = chunk.count
            return OK
        }
        return OK
    } catch {
        box.capiError = "replacement body: \(error)"
        return EIO
    }
}

@c(sealmilter_session_log)
public func sealmilterSessionLog(_ s: OpaquePointer?) -> UnsafePointer<CChar>? {
    guard let box = sessionBox(s) else { return nil }
    return box.cString("log") { box.session.logLine }
}

@c(sealmilter_session_json)
public func sealmilterSessionJson(_ s: OpaquePointer?) -> UnsafePointer<CChar>? {
    guard let box = sessionBox(s) else { return nil }
    return box.cString("json") { box.session.jsonReport() }
}
