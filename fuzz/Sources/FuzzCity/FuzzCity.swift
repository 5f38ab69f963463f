import CLibFuzzer
import CarillonFuzzChecks

/// libFuzzer's callback: the input to `FuzzTarget.city` (CarillonFuzzChecks, which says what is checked).
/// A finding ends the run with its description, as a crash does.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = start.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? []
    do { try FuzzTarget.city.run(input) } catch { fatalError("fuzz-city: \(error)") }
    return 0
}

/// The executable's entry: SwiftPM links `main` to `FuzzCity_main`; libFuzzer parses the arguments.
@_cdecl("FuzzCity_main")
public func run(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzz)
}
