import SealMetrics
import Glibc

/// `int sealmilter_metrics_text(char **text, size_t *len)`: the process-wide
/// metrics in the Prometheus text format, malloc'd for the caller to free with
/// sealmilter_free().
@c(sealmilter_metrics_text)
public func sealmilterMetricsText(_ text: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                                  _ len: UnsafeMutablePointer<Int>?) -> Int32 {
    guard let text else { return 2 }  // SEALMILTER_EMISUSE
    let s = Metrics.exposition()
    let copy = strdup(s)
    text.pointee = copy
    len?.pointee = copy == nil ? 0 : strlen(copy!)
    return copy == nil ? 4 : 0
}
