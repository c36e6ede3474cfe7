import SealEngine
// TODO(capi): the rest of the @c exports declared in include/sealmilter.h

@c(sealmilter_version)
public func sealmilterVersion() -> UnsafePointer<CChar> {
    StaticString("0.1.0").utf8Start.withMemoryRebound(to: CChar.self, capacity: 6) { $0 }
}
