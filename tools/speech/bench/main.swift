// The bench of tools/speech/lexicon-bench.sh: parse the shipped lexicon, read a tip, read 10,000 characters.
import Foundation
func rss() -> Int {
    let s = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    for line in s.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }
    return 0
}
let r0 = rss()
let clock = ContinuousClock()
let t0 = clock.now
let lexicon = MandarinLexicon.shipped
let t1 = clock.now
let r1 = rss()
let fe = MandarinFrontEnd()
_ = fe.read("发现火情，要立即拨打119报警。")
let r2 = rss()
let text = String(repeating: "请同学们有序离开教室，不要拥挤。", count: 625)
let t2 = clock.now
let spoken = fe.read(text)
let t3 = clock.now
print("parse \(t1 - t0), \(lexicon.counts); VmRSS \(r0) -> \(r1) kB (parsed) -> \(r2) kB (first read); 10,000 chars \(t3 - t2) (\(spoken.pinyin.count) syllables)")
