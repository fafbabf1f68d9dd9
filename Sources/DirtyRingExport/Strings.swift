#if canImport(Glibc)
import Glibc
#endif
import DirtyRingCore

/// Releases a string returned by this library; see `dr_string_free` in dirtyring.h.
@c public func dr_string_free(_ string: UnsafeMutablePointer<CChar>?) {
    free(string)
}

/// Copies `text` into a malloc'd C string that the caller frees with `dr_string_free`.
func exportString(_ text: String) -> UnsafeMutablePointer<CChar>? {
    strdup(text)
}

/// The text of a request, or an `invalid_request` error when the pointer is NULL.
func requestText(_ pointer: UnsafePointer<CChar>?) throws(DirtyRingError) -> String {
    guard let pointer else { throw DirtyRingError(kind: .invalidRequest, message: "request is NULL") }
    return String(cString: pointer)
}

/// Runs a JSON-in, JSON-out request handler on a C string and exports its response.
func respond(
    to request: UnsafePointer<CChar>?, with handler: (String) -> String
) -> UnsafeMutablePointer<CChar>? {
    do {
        return exportString(handler(try requestText(request)))
    } catch {
        return exportString(ABIRequests.error(error))
    }
}
