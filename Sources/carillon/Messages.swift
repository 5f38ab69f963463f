import CarillonCore
import CarillonProtocol
import Foundation

/// The language of the client's messages: Chinese when the locale for messages is `zh_CN`,
/// English otherwise.
enum Language: Sendable {
    case english
    case chinese

    /// Chosen once from the environment.
    static let current = Language(environment: ProcessInfo.processInfo.environment)

    /// POSIX precedence for LC_MESSAGES: the first of `LC_ALL`, `LC_MESSAGES` and `LANG` that is
    /// set and not empty decides (`LC_ALL=C` with `LANG=zh_CN.UTF-8` is English).
    init(environment: [String: String]) {
        let locale = ["LC_ALL", "LC_MESSAGES", "LANG"].lazy.compactMap { environment[$0] }.first { !$0.isEmpty } ?? ""
        // `zh_CN`, `zh_CN.UTF-8`, `zh_CN.utf8@…`; and a bare `zh`, which means the same here.
        let name =
            locale.split(separator: ".").first.map(String.init)?.split(separator: "@").first.map(String.init) ?? ""
        self = (name == "zh_CN" || name == "zh") ? .chinese : .english
    }
}

/// Every message the client shows a person, in English and in Chinese: the one place a translator
/// needs. What the daemon says comes in English; the client names its error code in Chinese
/// before it (`refused`).
enum Message {
    // MARK: Help
    case abstract
    case exitCodes
    case helpZones
    case abstractPlay, abstractSay, abstractStop, abstractLibrary, abstractList, abstractSearch, abstractShow,
        abstractEvents
    case helpSearchText, helpCategory, helpSubject

    // MARK: Connecting and exit codes
    case cannotConnect(address: String, reason: String)
    case notRunningHint
    case socketPermission(path: String)
    case joinGroupHint(group: String, user: String)
    case refused(code: ErrorCode, message: String)
    case connectionClosed
    case connectionLost(reason: String)
    case eventsEnded
    case listening(kinds: [String])

    // MARK: Usage mistakes found by the client
    case zonesFormat
    case socketOrHost
    case tlsOptionsNeedHost
    case hostFormat(String)
    case hostNeedsToken
    case pinFormat
    case tokenFileUnreadable(String)
    case notADate(option: String, text: String)
    case oneOf(option: String, choices: [String])
    case jsonOrCsv
    case auditFilters
    case auditOnly
    case tokenName
    case searchText

    // MARK: Results
    case playing(play: Int64, clip: String, level: String, sounding: [String], waiting: [String])
    case outcome(play: Int64, outcome: String, detail: String?)
    case saying(play: Int64, zones: [String])
    case nothingPlaying
    case stopped(plays: [Int64])
    case noClips
    case notRendered
    case libraryHeader
    case showTitle(id: String, title: String)
    case showNotRendered
    case confirmPlan(name: String, drill: Bool)
    case notStarted
    case planStarted(name: String, drill: Bool, zones: [String], run: Int64)
    case planWarning(String)
    case planStopped
    case tokenWritten(path: String)
    case tokenShownOnce(token: String)
    case tokenAddEntry
    case yourTask(String)
    case onTheAir(play: Int64, zones: [String])
    case shoutEnded(play: Int64, outcome: String?, detail: String?)
    case cannotRead(String, String)
    case cannotSpeak(String)
    case cannotOpenMicrophone(String)
    case imported(id: String, file: String, length: String, loudness: Double, gain: Double)
    case rendered(total: Int, failed: Int)
    case backedUp(bytes: Int, file: String)
    case restoreStaged(String)
    case scheduleApplied(version: Int, previous: Int)
    case planLine(name: String, title: String, zones: [String], cycle: String?, cycles: Int?)
    case noPlanRunning
    case planRunning(name: String, title: String, drill: Bool, zones: [String], since: String, cycle: Int, by: String)
    case scheduleSummary(version: Int, timezone: String, grace: Int, source: String)
    case scheduleToday(today: String, timetable: String?, rule: String)
    case scheduleTheme(String)
    case scheduleEvents(today: Int, left: Int)
    case showFacts(category: String, kind: String, origin: String, language: String, grade: String, season: String)
    case showSubject(String)
    case showLength(String)
    case showText(String)
    case showAudio(String)
    case statusServer(server: String, version: String, up: String)
    case statusLibrary(clips: Int)
    case statusOutputs, statusZones, statusPlaying, statusNothingPlaying
    case statusZone(zone: String, output: String, sounding: [Int64], waiting: [Int64])

    /// The message in the language of the locale.
    var text: String { text(in: .current) }

    func text(in language: Language) -> String {
        switch language {
        case .english: english
        case .chinese: chinese
        }
    }

    private var english: String {
        switch self {
        case .abstract: "Control a Carillon daemon."
        case .exitCodes:
            "Exit codes: 0 ok; 1 the daemon refused or failed; 2 usage (also an invalid argument or unknown zone the daemon "
                + "found in what you typed); 3 cannot connect; 4 permission denied. Messages are in Chinese when the locale "
                + "(LC_ALL, LC_MESSAGES, LANG) is zh_CN."
        case .helpZones:
            "Zones, comma-separated or with --zones repeated (default: all you may use; for a plan, its own)."
        case .abstractPlay: "Play a clip from the library."
        case .abstractSay: "Read text aloud, after the pre-announce chime."
        case .abstractStop: "Stop one play, or everything playing."
        case .abstractLibrary: "The audio library: list, search, show, import and render clips."
        case .abstractList: "List the clips, with their lengths."
        case .abstractSearch: "Find clips whose id, title, subject or spoken text contains TEXT."
        case .abstractShow: "Show one clip in full."
        case .abstractEvents: "Stream the daemon's events: plays, shouts, plans, faults, schedule and library changes."
        case .helpSearchText: "What to look for, e.g. 火灾 or fire."
        case .helpCategory: "Only this category: bell, tip, culture, recorded, alarm or message."
        case .helpSubject: "Only tips of this subject: " + Message.subjects.joined(separator: ", ") + "."

        case .cannotConnect(let address, let reason): "cannot connect to \(address): \(reason)"
        case .notRunningHint: "is carillond running? See `systemctl status carillond`."
        case .socketPermission(let path): "permission denied: this account may not open the control socket \(path)"
        case .joinGroupHint(let group, let user):
            "the socket is for the group `\(group)`: ask school IT to add you (`sudo usermod -aG \(group) \(user)`), then log in again"
        case .refused(_, let message): message
        case .connectionClosed: "the daemon closed the connection"
        case .connectionLost(let reason): "the connection to the daemon broke: \(reason)"
        case .eventsEnded: "the connection to the daemon ended: no more events"
        case .listening(let kinds):
            "listening for " + (kinds.isEmpty ? "all events" : kinds.joined(separator: ", ")) + "; ^C to stop"

        case .zonesFormat: "--zones takes comma-separated zone names, e.g. teaching,playground"
        case .socketOrHost: "give --socket or --host, not both"
        case .tlsOptionsNeedHost: "--token-file, --ca and --pin go with --host"
        case .hostFormat(let host): "--host must be HOST:PORT, not `\(host)`"
        case .hostNeedsToken: "--host needs --token-file"
        case .pinFormat: "--pin must be a SHA-256 fingerprint: 64 hex digits, colons allowed"
        case .tokenFileUnreadable(let path): "cannot read the token file \(path)"
        case .notADate(let option, let text): "\(option): not a date: \(text)"
        case .oneOf(let option, let choices): "\(option) must be one of \(choices.joined(separator: ", "))"
        case .jsonOrCsv: "give --json or --csv, not both"
        case .auditFilters: "--category, --zone, --source and --level filter the play log, not --audit"
        case .auditOnly: "--actor and --command go with --audit"
        case .tokenName: "the name must be 1 to 64 characters, without quotes"
        case .searchText: "give the text to look for"

        case .playing(let play, let clip, let level, let sounding, let waiting):
            "playing #\(play) \(clip) (\(level))" + (sounding.isEmpty ? "" : " in \(sounding.joined(separator: ", "))")
                + (waiting.isEmpty ? "" : "; waiting for \(waiting.joined(separator: ", "))")
        case .outcome(let play, let outcome, let detail): "#\(play) \(outcome)" + (detail.map { " \($0)" } ?? "")
        case .saying(let play, let zones): "saying #\(play) in \(zones.joined(separator: ", "))"
        case .nothingPlaying: "nothing was playing"
        case .stopped(let plays): "stopped " + plays.map { "#\($0)" }.joined(separator: ", ")
        case .noClips: "no clips match"
        case .notRendered: "-"
        case .libraryHeader: "ID\tTITLE\tLENGTH\tCATEGORY\tSUBJECT"
        case .showTitle(let id, let title): "\(id): \(title)"
        case .showNotRendered: "not rendered yet"
        case .confirmPlan(let name, let drill):
            (drill ? "Start the DRILL `\(name)`" : "Start the EMERGENCY plan `\(name)`")
                + "? The alarm sounds at once. [y/N] "
        case .notStarted: "not started"
        case .planStarted(let name, let drill, let zones, let run):
            "\(drill ? "drill" : "plan") \(name) started in \(zones.joined(separator: ",")) (run \(run))"
        case .planWarning(let warning): "warning: \(warning)"
        case .planStopped: "stopped"
        case .tokenWritten(let path): "token written to \(path)"
        case .tokenShownOnce(let token): "the client's token (shown once; carillon.toml keeps only its hash):\n\(token)"
        case .tokenAddEntry:
            "the [[token]] entry is on standard output: append it to carillon.toml, then reload the daemon (SIGHUP)"
        case .statusServer(let server, let version, let up): "\(server) — carillond \(version), up \(up)"
        case .statusLibrary(let clips): "library: \(clips) clips"
        case .statusOutputs: "outputs:"
        case .yourTask(let task): "your task: \(task)"
        case .onTheAir(let play, let zones):
            "on the air: shout #\(play) to \(zones.joined(separator: ", ")); ^C ends it"
        case .shoutEnded(let play, let outcome, let detail):
            "shout #\(play) \(outcome ?? "ended")" + (detail.map { ": \($0)" } ?? "")
        case .cannotRead(let file, let why): "cannot read \(file): \(why)"
        case .cannotSpeak(let why): "cannot read the text aloud: \(why)"
        case .cannotOpenMicrophone(let why): "cannot open the microphone: \(why)"
        case .imported(let id, let file, let length, let loudness, let gain):
            "imported \(id): \(file), \(length), " + String(format: "%.1f LUFS, gain %+.1f dB", loudness, gain)
        case .rendered(let total, let failed): "rendered \(total) clips" + (failed == 0 ? "" : ", \(failed) failed:")
        case .backedUp(let bytes, let file): "backed up \(bytes) bytes to \(file)"
        case .restoreStaged(let path):
            "restore staged; the daemon is stopping and restores \(path) when it starts again"
        case .scheduleApplied(let version, let previous): "schedule version \(version) in force (was \(previous))"
        case .planLine(let name, let title, let zones, let cycle, let cycles):
            "\(name)  \(title)  \(zones.joined(separator: ","))  "
                + (cycle.map { "cycle \($0)" } ?? "alarm only until decoded")
                + ", " + (cycles.map { "\($0) cycles" } ?? "until stopped")
        case .noPlanRunning: "no plan is running"
        case .planRunning(let name, let title, let drill, let zones, let since, let cycle, let by):
            "\(drill ? "DRILL" : "EMERGENCY")  \(name)  \(title)  in \(zones.joined(separator: ","))  since \(since)  cycle \(cycle)  by \(by)"
        case .scheduleSummary(let version, let timezone, let grace, let source):
            "schedule version \(version), \(timezone), grace \(grace) s (\(source))"
        case .scheduleToday(let today, let timetable, let rule): "today \(today): \(timetable ?? "silent") — \(rule)"
        case .scheduleTheme(let theme): "this week's theme: \(theme)"
        case .scheduleEvents(let today, let left): "\(today) events today, \(left) still to come"
        case .showFacts(let category, let kind, let origin, let language, let grade, let season):
            "  category \(category), \(kind), \(origin), language \(language), grade \(grade), season \(season)"
        case .showSubject(let subject): "  subject \(subject)"
        case .showLength(let length): "  length \(length)"
        case .showText(let text): "  text: \(text)"
        case .showAudio(let file): "  audio: \(file)"
        case .statusZones: "zones:"
        case .statusPlaying: "playing:"
        case .statusNothingPlaying: "playing: nothing"
        case .statusZone(let zone, let output, let sounding, let waiting):
            "  \(zone)  on \(output)  "
                + (sounding.isEmpty ? "idle" : "sounding " + sounding.map { "#\($0)" }.joined(separator: ", "))
                + (waiting.isEmpty ? "" : "; waiting " + waiting.map { "#\($0)" }.joined(separator: ", "))
        }
    }

    private var chinese: String {
        switch self {
        case .abstract: "控制 Carillon 校园广播守护进程。"
        case .exitCodes:
            "退出码：0 成功；1 守护进程拒绝或失败；2 用法错误（包括守护进程发现你输入的参数无效或分区不存在）；3 无法连接；4 权限不足。"
                + "区域设置（LC_ALL、LC_MESSAGES、LANG）为 zh_CN 时显示中文。"
        case .helpZones: "分区，用逗号分隔，或重复 --zones（默认：你可用的全部分区；预案默认为它自己的分区）。"
        case .abstractPlay: "播放音频库中的音频。"
        case .abstractSay: "在提示音之后朗读文字。"
        case .abstractStop: "停止一个播放，或停止全部播放。"
        case .abstractLibrary: "音频库：列出、搜索、查看、导入和渲染音频。"
        case .abstractList: "列出音频及其时长。"
        case .abstractSearch: "查找编号、标题、主题或朗读文字中含有 TEXT 的音频。"
        case .abstractShow: "查看一个音频的全部信息。"
        case .abstractEvents: "接收守护进程的事件：播放、喊话、预案、故障、时间表和音频库的变化。"
        case .helpSearchText: "要查找的文字，例如“火灾”或 fire。"
        case .helpCategory: "只列出这一类：bell（铃声）、tip（安全提示）、culture（校园文化）、recorded（录音）、alarm（警报）或 message（消息）。"
        case .helpSubject:
            "只列出这一主题的安全提示："
                + Message.subjects.map { "\($0)（\(Message.subjectName($0, .chinese))）" }.joined(separator: "、") + "。"

        case .cannotConnect(let address, let reason): "无法连接到 \(address)：\(reason)"
        case .notRunningHint: "carillond 是否在运行？请用 `systemctl status carillond` 查看。"
        case .socketPermission(let path): "权限不足：此账号不能打开控制套接字 \(path)"
        case .joinGroupHint(let group, let user):
            "该套接字属于 `\(group)` 组：请学校信息管理员把你加入该组（`sudo usermod -aG \(group) \(user)`），然后重新登录"
        case .refused(let code, let message): "\(Message.codeName(code))：\(message)"
        case .connectionClosed: "守护进程关闭了连接"
        case .connectionLost(let reason): "与守护进程的连接中断：\(reason)"
        case .eventsEnded: "与守护进程的连接已断开：不会再有事件"
        case .listening(let kinds):
            "正在接收" + (kinds.isEmpty ? "所有事件" : "事件 " + kinds.joined(separator: "、")) + "；按 ^C 停止"

        case .zonesFormat: "--zones 需要用逗号分隔的分区名，例如 teaching,playground"
        case .socketOrHost: "--socket 和 --host 只能给一个"
        case .tlsOptionsNeedHost: "--token-file、--ca 和 --pin 要和 --host 一起用"
        case .hostFormat(let host): "--host 必须是 主机:端口，而不是 `\(host)`"
        case .hostNeedsToken: "--host 需要 --token-file"
        case .pinFormat: "--pin 必须是 SHA-256 指纹：64 个十六进制数字，可以带冒号"
        case .tokenFileUnreadable(let path): "无法读取令牌文件 \(path)"
        case .notADate(let option, let text): "\(option)：不是有效的日期：\(text)"
        case .oneOf(let option, let choices): "\(option) 必须是以下之一：\(choices.joined(separator: ", "))"
        case .jsonOrCsv: "--json 和 --csv 只能给一个"
        case .auditFilters: "--category、--zone、--source 和 --level 用于筛选播放记录，不能与 --audit 一起用"
        case .auditOnly: "--actor 和 --command 要和 --audit 一起用"
        case .tokenName: "名称必须是 1 到 64 个字符，不能含引号"
        case .searchText: "请给出要查找的文字"

        case .playing(let play, let clip, let level, let sounding, let waiting):
            "正在播放 #\(play) \(clip)（\(level)）" + (sounding.isEmpty ? "" : "，分区 \(sounding.joined(separator: "、"))")
                + (waiting.isEmpty ? "" : "；等待分区 \(waiting.joined(separator: "、"))")
        case .outcome(let play, let outcome, let detail): "#\(play) \(outcome)" + (detail.map { " \($0)" } ?? "")
        case .saying(let play, let zones): "正在朗读 #\(play)，分区 \(zones.joined(separator: "、"))"
        case .nothingPlaying: "没有正在播放的内容"
        case .stopped(let plays): "已停止 " + plays.map { "#\($0)" }.joined(separator: "、")
        case .noClips: "没有找到匹配的音频"
        case .notRendered: "-"
        case .libraryHeader: "编号\t标题\t时长\t类别\t主题"
        case .showTitle(let id, let title): "\(id)：\(title)"
        case .showNotRendered: "尚未渲染"
        case .confirmPlan(let name, let drill):
            (drill ? "启动演练 `\(name)`" : "启动应急预案 `\(name)`") + "？警报会立即响起。[y/N] "
        case .notStarted: "未启动"
        case .planStarted(let name, let drill, let zones, let run):
            "\(drill ? "演练" : "预案") \(name) 已在 \(zones.joined(separator: ",")) 启动（第 \(run) 次运行）"
        case .planWarning(let warning): "警告：\(warning)"
        case .planStopped: "已停止"
        case .tokenWritten(let path): "令牌已写入 \(path)"
        case .tokenShownOnce(let token): "客户端的令牌（只显示这一次；carillon.toml 只保存它的哈希）：\n\(token)"
        case .tokenAddEntry: "[[token]] 条目已输出到标准输出：请把它追加到 carillon.toml，然后重新加载守护进程（SIGHUP）"
        case .statusServer(let server, let version, let up): "\(server) — carillond \(version)，已运行 \(up)"
        case .statusLibrary(let clips): "音频库：\(clips) 个音频"
        case .statusOutputs: "输出设备："
        case .yourTask(let task): "你的任务：\(task)"
        case .onTheAir(let play, let zones): "正在喊话 #\(play)，分区 \(zones.joined(separator: "、"))；按 ^C 结束"
        case .shoutEnded(let play, let outcome, let detail):
            "喊话 #\(play) \(outcome ?? "已结束")" + (detail.map { "：\($0)" } ?? "")
        case .cannotRead(let file, let why): "无法读取 \(file)：\(why)"
        case .cannotSpeak(let why): "无法朗读这段文字：\(why)"
        case .cannotOpenMicrophone(let why): "无法打开麦克风：\(why)"
        case .imported(let id, let file, let length, let loudness, let gain):
            "已导入 \(id)：\(file)，\(length)，" + String(format: "响度 %.1f LUFS，增益 %+.1f dB", loudness, gain)
        case .rendered(let total, let failed): "已渲染 \(total) 个音频" + (failed == 0 ? "" : "，\(failed) 个失败：")
        case .backedUp(let bytes, let file): "已备份 \(bytes) 字节到 \(file)"
        case .restoreStaged(let path): "恢复已准备好；守护进程正在停止，下次启动时恢复 \(path)"
        case .scheduleApplied(let version, let previous): "时间表版本 \(version) 已生效（原为 \(previous)）"
        case .planLine(let name, let title, let zones, let cycle, let cycles):
            "\(name)  \(title)  \(zones.joined(separator: ","))  " + (cycle.map { "每轮 \($0)" } ?? "解码完成前只响警报")
                + "，" + (cycles.map { "\($0) 轮" } ?? "直到停止")
        case .noPlanRunning: "没有正在运行的预案"
        case .planRunning(let name, let title, let drill, let zones, let since, let cycle, let by):
            "\(drill ? "演练" : "应急")  \(name)  \(title)  分区 \(zones.joined(separator: ","))  开始于 \(since)  第 \(cycle) 轮  启动者 \(by)"
        case .scheduleSummary(let version, let timezone, let grace, let source):
            "时间表版本 \(version)，时区 \(timezone)，宽限 \(grace) 秒（\(source)）"
        case .scheduleToday(let today, let timetable, let rule): "今天 \(today)：\(timetable ?? "无铃声") — \(rule)"
        case .scheduleTheme(let theme): "本周主题：\(theme)"
        case .scheduleEvents(let today, let left): "今天 \(today) 个事件，还有 \(left) 个"
        case .showFacts(let category, let kind, let origin, let language, let grade, let season):
            "  类别 \(category)，\(kind)，\(origin)，语言 \(language)，年级 \(grade)，季节 \(season)"
        case .showSubject(let subject): "  主题 \(subject)"
        case .showLength(let length): "  时长 \(length)"
        case .showText(let text): "  文字：\(text)"
        case .showAudio(let file): "  音频：\(file)"
        case .statusZones: "分区："
        case .statusPlaying: "正在播放："
        case .statusNothingPlaying: "正在播放：无"
        case .statusZone(let zone, let output, let sounding, let waiting):
            "  \(zone)  输出 \(output)  "
                + (sounding.isEmpty ? "空闲" : "正在播放 " + sounding.map { "#\($0)" }.joined(separator: "、"))
                + (waiting.isEmpty ? "" : "；等待 " + waiting.map { "#\($0)" }.joined(separator: "、"))
        }
    }

    /// ArgumentParser's own usage message, its English labels put into the locale's language
    /// (what follows them is ours, or the parser's own words about an option).
    static func parserMessage(_ text: String, _ language: Language = .current) -> String {
        guard language == .chinese else { return text }
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            for (english, chinese) in [("Error: ", "错误："), ("Usage: ", "用法："), ("  See '", "  详见 '")]
            where line.hasPrefix(english) {
                var translated = chinese + line.dropFirst(english.count)
                if english == "  See '" {
                    translated = translated.replacingOccurrences(of: "' for more information.", with: "'。")
                }
                return translated
            }
            return String(line)
        }.joined(separator: "\n")
    }

    /// The tip subjects, in the platform's order: the library's own list, so the help never
    /// falls behind it.
    static var subjects: [String] { Clip.tipSubjects }

    /// A tip subject as a teacher says it.
    static func subjectName(_ subject: String, _ language: Language = .current) -> String {
        guard language == .chinese else { return subject }
        let names = [
            "traffic": "交通安全", "food": "食品安全", "earthquake": "防震减灾", "cyber": "网络安全", "fire": "消防安全",
            "outdoor": "户外安全", "injury": "意外伤害", "social": "社会安全", "law": "法治教育", "mental": "心理健康",
            "cases": "案例警示", "technique": "安全技能", "epidemic": "传染病防控", "drugs": "禁毒与控烟", "security": "国家安全",
            "bus": "校车安全", "intruder": "防暴力与防欺凌",
        ]
        return names[subject] ?? subject
    }

    /// A clip category as a teacher says it.
    static func categoryName(_ category: String, _ language: Language = .current) -> String {
        guard language == .chinese else { return category }
        let names = ["bell": "铃声", "tip": "安全提示", "culture": "校园文化", "recorded": "录音", "alarm": "警报", "message": "消息"]
        return names[category] ?? category
    }

    /// What a refusal's code means, in Chinese, before the daemon's own (English) message.
    static func codeName(_ code: ErrorCode) -> String {
        switch code {
        case .permissionDenied: "权限不足"
        case .unauthenticated: "未通过身份验证"
        case .rateLimited: "登录失败次数过多"
        case .invalidArguments: "参数无效"
        case .unknownZone: "没有这个分区"
        case .unknownClip: "音频库中没有这个音频"
        case .unknownCommand: "没有这个命令"
        case .notFound: "未找到"
        case .busy: "正忙"
        case .duplicate: "已存在"
        case .badAudio: "音频无法读取"
        case .outputUnavailable: "输出设备不可用"
        case .staleVersion: "版本不够新"
        case .badBundle: "更新包无效"
        case .internal: "守护进程内部错误"
        default: "守护进程拒绝了请求"
        }
    }
}
