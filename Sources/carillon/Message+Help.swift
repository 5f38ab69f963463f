import ArgumentParser

extension Message {
    /// An option's or argument's help in the locale's language.
    static func help(_ english: String, _ language: Language = .current) -> ArgumentHelp {
        ArgumentHelp(about(english, language))
    }

    /// A command's abstract or discussion, or an option's help, in the locale's language. The
    /// English text, written beside what it describes, is its own key (as in gettext); one with no
    /// Chinese below stays English, and ClientTests finds it.
    static func about(_ english: String, _ language: Language = .current) -> String {
        guard language == .chinese else { return english }
        return helpInChinese[english] ?? english
    }

    /// The Chinese of every help text of the client's commands, keyed by the English.
    static let helpInChinese: [String: String] = [
        "The phone console: pair phones, list them, revoke them (admin).":
            "手机控制台：配对手机、列出和撤销（管理员）。",
        "Print a one-time link, and its QR code, that pairs a phone as a named person.":
            "显示一次性链接及其二维码，用它把手机配对为指定的人员。",
        "The link works once, for 10 minutes. Pairing the same name again adds a phone for that person.":
            "链接仅可使用一次，10 分钟内有效。用同一名字再次配对，可为此人增加一部手机。",
        "The person, as the roll-call shows them.":
            "人员名称，点名时显示的名字。",
        "viewer, teacher, leader or admin.":
            "viewer、teacher、leader 或 admin。",
        "A staff group for plans' tasks, e.g. class-teachers; repeat or comma-separate.":
            "接收预案任务的教职工分组，如 class-teachers；可重复给出或用逗号分隔。",
        "Print one JSON object, without the QR code.":
            "输出一个 JSON 对象，不显示二维码。",
        "--role must be viewer, teacher, leader or admin":
            "--role 必须是 viewer、teacher、leader 或 admin",
        "The paired people and their phones.":
            "已配对的人员及其手机。",
        "Print one JSON object per person.":
            "每个人员输出一个 JSON 对象。",
        "Unpair a person: their phones are signed out at once, open consoles included.":
            "撤销配对：此人的手机立即退出登录，已打开的控制台也一样。",
        "The person's name, as `web devices` lists it.":
            "人员名称，与 `web devices` 列出的一致。",
        "Backups of the daemon's database.":
            "数据库备份。",
        "Back the database up (SQLite's VACUUM INTO, consistent while the daemon runs) and copy it to FILE.":
            "备份数据库（SQLite 的 VACUUM INTO，守护进程运行时也一致）并复制到 FILE。",
        "Where to put the backup.":
            "备份文件放在哪里。",
        "Restore a backup: checked, then put in place as the daemon restarts (systemd restarts it).":
            "恢复备份：先检查，守护进程重启时换上（systemd 会重启它）。",
        "A backup made with `admin backup`, readable by the daemon.":
            "用 `admin backup` 做的备份，守护进程要能读取。",
        "The bureau's signed bundles: keys, signing, checking, applying and pushing.":
            "教育局签名的更新包：密钥、签名、检查、应用和推送。",
        "Make a signing key: NAME.key (private, mode 0600) and NAME.pub (for schools' [bureau] keys).":
            "生成签名密钥：NAME.key（私钥，权限 0600）和 NAME.pub（填入学校的 [bureau] 密钥）。",
        "The files' name, without extension.":
            "文件名，不带扩展名。",
        "Sign a bundle of a schedule, plans and clips.":
            "为时间表、预案和音频签名，生成更新包。",
        "Files are told apart by name: schedule.toml is the schedule; any other .toml is a plan named after the file, except catalog.toml, which describes the clips in the library's [[clip]] form (id, category, title, file, and optionally language, subject, season); .wav, .flac, .ogg, .opus and .mp3 files are clips. A clip not in a catalog.toml takes its id from its file name, and its category (and, for a tip, its subject) from the id: tip.outdoor.swim-01.flac.":
            "按文件名区分：schedule.toml 是时间表；其他 .toml 是以文件名命名的预案，catalog.toml 除外，它按音频库的 [[clip]] 格式描述音频（id、category、title、file，可选 language、subject、season）；.wav、.flac、.ogg、.opus 和 .mp3 文件是音频。不在 catalog.toml 中的音频以文件名为编号，类别（安全提示还有主题）取自编号：tip.outdoor.swim-01.flac。",
        "The private key (PEM).":
            "私钥（PEM）。",
        "The bundle's version; by default the schedule's. It must be above every version the schools hold.":
            "更新包的版本号，默认取时间表的版本。必须大于各学校用过的所有版本。",
        "When schools stop accepting it: a date (2026-12-31), a date and time, or a span such as 30d or 12h.":
            "学校何时不再接受它：日期（2026-12-31）、日期和时间，或 30d、12h 这样的时长。",
        "Comma-separated school ids, or * for every school.":
            "学校编号，用逗号分隔；* 表示所有学校。",
        "The bundle file to write.":
            "要写入的更新包文件。",
        "schedule.toml, plans/*.toml, catalog.toml and clips.":
            "schedule.toml、plans/*.toml、catalog.toml 和音频文件。",
        "Check a bundle as a school would, and print its manifest and the verdict.":
            "像学校那样检查更新包，并显示清单和结论。",
        "Exits 0 when it would be accepted, 1 when refused.":
            "会被接受时退出码为 0，被拒绝时为 1。",
        "A trusted public key (PEM); repeat for several.":
            "信任的公钥（PEM）；可重复给出多个。",
        "Check it is addressed to this school.":
            "检查它是否发给这所学校。",
        "Check its version is above this one.":
            "检查它的版本是否大于这个版本。",
        "Print one JSON object.":
            "输出一个 JSON 对象。",
        "The bundle file.":
            "更新包文件。",
        "Apply a bundle to one daemon (bureau or admin role): it is uploaded, checked and applied whole, or refused.":
            "把更新包应用到一个守护进程（bureau 或 admin 角色）：上传、检查后整体应用，或被拒绝。",
        "Apply a bundle at every school of a schools file (bureau), over TCP with TLS.":
            "把更新包应用到学校列表中的每所学校（bureau），通过 TLS 加密的 TCP。",
        "Prints progress, then one row per school and a summary. A school already holding this very bundle counts as ok; one holding a newer version is refused (stale-version) and fails. Exits 1 if any school failed; --failed-out writes those schools to rerun with --schools.":
            "先显示进度，然后每所学校一行，最后是汇总。已经有这个更新包的学校算成功；已有更新版本的学校会拒绝（stale-version），算失败。有学校失败时退出码为 1；--failed-out 把这些学校写入文件，可用 --schools 重试。",
        "Print one JSON object per school, then one for the run.":
            "每所学校输出一个 JSON 对象，最后一个是本次运行的汇总。",
        "Runs until interrupted. A client that cannot keep up is dropped by the daemon; when the connection ends, whatever the reason, it exits 1.":
            "一直运行到被中断。跟不上的客户端会被守护进程断开；连接结束时，不论原因，退出码为 1。",
        "Print each event as one JSON object.":
            "每个事件输出一个 JSON 对象。",
        "Only events whose names start with these, e.g. play output.":
            "只接收名称以这些开头的事件，例如 play output。",
        "Show the play log, or with --audit the audit log of state-changing commands.":
            "显示播放记录；加 --audit 显示更改状态的操作记录（审计日志）。",
        "Show who changed what instead of what played (admin).":
            "显示谁更改了什么，而不是播放了什么（admin）。",
        "Show emergency plan runs and drills, with their timelines.":
            "显示应急预案和演练的运行记录及其时间线。",
        "From this date (YYYY-MM-DD, local) or instant (ISO 8601).":
            "从这个日期（YYYY-MM-DD，本地时间）或时刻（ISO 8601）开始。",
        "Before this date or instant; a date means up to the end of that day.":
            "在这个日期或时刻之前；日期表示到当天结束。",
        "Plays of this clip category: bell, tip, culture, emergency, …":
            "这一类音频的播放：bell、tip、culture、emergency 等。",
        "Plays in this zone.":
            "在这个分区的播放。",
        "Plays from this source: manual, schedule, plan, shout, tts.":
            "来自这个来源的播放：manual、schedule、plan、shout、tts。",
        "Plays at this level.":
            "这个优先级的播放。",
        "Audit entries by this identity.":
            "这个身份的审计记录。",
        "Audit entries of this command, or of a group such as library.":
            "这个命令或命令组（例如 library）的审计记录。",
        "At most this many rows (1 to 10000).":
            "最多显示这么多行（1 到 10000）。",
        "Print one JSON object per line.":
            "每行输出一个 JSON 对象。",
        "Make tokens for TCP clients.":
            "为 TCP 客户端生成令牌。",
        "Make a token: the client keeps the token, carillon.toml keeps only its SHA-256.":
            "生成令牌：客户端保存令牌，carillon.toml 只保存它的 SHA-256。",
        "Prints the [[token]] entry on standard output, so that it can be appended to carillon.toml (`carillon token new NAME --role R -o NAME.token >> carillon.toml`); reload the daemon (SIGHUP) to accept it. The token itself goes to the -o file, or without -o to standard error: it is shown once.":
            "[[token]] 条目输出到标准输出，可以直接追加到 carillon.toml（`carillon token new NAME --role R -o NAME.token >> carillon.toml`）；重新加载守护进程（SIGHUP）后生效。令牌本身写入 -o 指定的文件，不给 -o 时输出到标准错误：只显示一次。",
        "The client's name, e.g. principal-phone; the logs show it.":
            "客户端的名称，例如 principal-phone；日志中会显示它。",
        "viewer, teacher, leader, admin or bureau.":
            "viewer、teacher、leader、admin 或 bureau。",
        "Write the token to this file (mode 0600) instead of showing it on standard error.":
            "把令牌写入这个文件（权限 0600），而不是显示在标准错误上。",
        "Send raw protocol requests and print the raw replies: for scripts and debugging.":
            "发送原始协议请求并显示原始回复：供脚本和调试使用。",
        "With a command, sends {\"cmd\":COMMAND,\"args\":ARGS}; with --stdin, sends each line of standard input as it is.":
            "给出命令时发送 {\"cmd\":COMMAND,\"args\":ARGS}；加 --stdin 时把标准输入的每一行原样发送。",
        "A command name, e.g. status.":
            "命令名，例如 status。",
        "Its arguments as a JSON object.":
            "命令的参数，一个 JSON 对象。",
        "Send each line of standard input and print each reply.":
            "发送标准输入的每一行，并显示每个回复。",
        "The text, e.g. \"午饭时间到了，请同学们有序排队。\"":
            "要朗读的文字，例如“午饭时间到了，请同学们有序排队。”",
        "zh (Mandarin, default) or en.":
            "zh（普通话，默认）或 en。",
        "Leave out the pre-announce chime.":
            "不播放提示音。",
        "Wait until it has been said.":
            "等到读完为止。",
        "Print JSON lines.":
            "输出 JSON 行。",
        "Print one JSON object per clip.":
            "每个音频输出一个 JSON 对象。",
        "The clip's id.":
            "音频编号。",
        "Import recordings: each file is checked, measured and brought to the library's loudness.":
            "导入录音：每个文件都经过检查、测量，并调整到音频库的响度。",
        "WAV, FLAC, Ogg Vorbis or Opus, or MP3 files.":
            "WAV、FLAC、Ogg Vorbis 或 Opus、MP3 文件。",
        "The category: recorded (default), culture, bell, tip or message.":
            "类别：recorded（默认）、culture、bell、tip 或 message。",
        "The title (default: the file's name); only with one file.":
            "标题（默认为文件名）；只能用于一个文件。",
        "The clip's id (default: <category>.<start of its SHA-256>); only with one file.":
            "音频编号（默认为 <类别>.<SHA-256 的开头>）；只能用于一个文件。",
        "Print one JSON object per imported clip.":
            "每个导入的音频输出一个 JSON 对象。",
        "Render the synthesized and spoken clips into the cache, with progress.":
            "把合成的和朗读的音频渲染到缓存，并显示进度。",
        "Render again even what is cached.":
            "已缓存的也重新渲染。",
        "Emergency plans and drills.":
            "应急预案和演练。",
        "The school's plans.":
            "学校的预案。",
        "Print one JSON object per plan.":
            "每个预案输出一个 JSON 对象。",
        "The plan that runs, if any.":
            "正在运行的预案（如果有）。",
        "Start a plan: the alarm sounds at once (leader or higher).":
            "启动预案：警报立即响起（leader 或更高角色）。",
        "On a terminal it asks first, unless --yes; the daemon itself never asks.":
            "在终端上会先询问，除非给出 --yes；守护进程本身从不询问。",
        "The plan's name, e.g. fire.":
            "预案名称，例如 fire。",
        "A drill: every message says it is a drill, and it is logged as one.":
            "演练：每条消息都说明这是演练，并记录为演练。",
        "Do not ask.":
            "不询问。",
        "Stop the running plan; its zones go back to the schedule.":
            "停止正在运行的预案；它的分区恢复按时间表播放。",
        "The plan's name, to be sure the right one stops.":
            "预案名称，确保停止的是正确的预案。",
        "Show what the daemon is doing.":
            "显示守护进程正在做什么。",
        "Print the metrics in Prometheus' text format (for node_exporter's textfile collector).":
            "以 Prometheus 文本格式输出指标（供 node_exporter 的 textfile 收集器使用）。",
        "The clip's id, e.g. bell.start.":
            "音频编号，例如 bell.start。",
        "Priority level: background, announcement, bell, shout or emergency (default: bell for bells, else announcement).":
            "优先级：background、announcement、bell、shout 或 emergency（默认：铃声为 bell，其他为 announcement）。",
        "Wait until the clip has finished, and report how it went.":
            "等到音频播放完毕，并报告结果。",
        "The play's number, as `play` and `status` show it; omit to stop all.":
            "播放编号，即 `play` 和 `status` 显示的编号；不给则停止全部。",
        "The school's timetable: show, next, preview, apply, history and rollback.":
            "学校的时间表：查看、下一个、预览、应用、历史和回滚。",
        "Every version held, from schedules and bundles, newest first.":
            "保存的每个版本，来自时间表和更新包，最新的在前。",
        "Print one JSON object per version.":
            "每个版本输出一个 JSON 对象。",
        "Go back to an earlier version (admin); new bundles must still be above the highest ever held.":
            "回到较早的版本（admin）；新的更新包仍必须大于用过的最高版本。",
        "The version to go back to; by default the one before the version in force.":
            "要回到的版本；默认为当前生效版本的前一个。",
        "The schedule in force and today's plan.":
            "生效中的时间表和今天的安排。",
        "The next events, with countdowns.":
            "接下来的事件，附倒计时。",
        "How many (default 10).":
            "显示几个（默认 10）。",
        "Print one JSON object per event.":
            "每个事件输出一个 JSON 对象。",
        "Evaluate a schedule file offline, with no daemon and no library.":
            "离线计算时间表文件，不需要守护进程和音频库。",
        "The schedule.toml.":
            "时间表文件 schedule.toml。",
        "First local date, YYYY-MM-DD.":
            "第一天，本地日期 YYYY-MM-DD。",
        "Last local date, YYYY-MM-DD (included).":
            "最后一天，本地日期 YYYY-MM-DD（包含当天）。",
        "One JSON object per event.":
            "每个事件一个 JSON 对象。",
        "Check a schedule file and put it in force, live; its version must be above the current one.":
            "检查时间表文件并立即生效；它的版本必须大于当前版本。",
        "Speak live to zones: from the microphone, a file, or text read aloud.":
            "向分区实时喊话：来自麦克风、音频文件或朗读的文字。",
        "The voice is sent as Opus in 20 ms frames as it is captured. From the microphone it runs\nuntil ^C or --seconds; from a file or text, until the audio ends. An emergency cuts a shout.":
            "声音边采集边以 20 ms 一帧的 Opus 发送。来自麦克风时一直持续到 ^C 或 --seconds；\n来自文件或文字时到音频结束。应急广播会打断喊话。",
        "The ALSA capture device (the default source).":
            "ALSA 采集设备（默认的声音来源）。",
        "An audio file to send instead of the microphone.":
            "代替麦克风发送的音频文件。",
        "Text to read aloud (Mandarin) instead of the microphone.":
            "代替麦克风朗读的文字（普通话）。",
        "Play the pre-announce chime first.":
            "先播放提示音。",
        "Stop after this many seconds.":
            "这么多秒后停止。",
        "What the voice will say: the Mandarin front-end, offline.":
            "语音会说什么：普通话前端处理，离线。",
        "Print each text normalized and as the pinyin the voice gets; needs no daemon.":
            "显示每段文字规范化后的样子和语音合成得到的拼音；不需要守护进程。",
        "Uses the same front-end as the daemon. Spans it cannot read with certainty are listed on\nstandard error, with what is said for them instead.":
            "与守护进程使用同一个前端处理。无法确定读法的片段列在标准错误上，\n并说明实际会读成什么。",
        "One JSON object per text: {\"text\", \"normalized\", \"pinyin\"}.":
            "每段文字一个 JSON 对象：{\"text\", \"normalized\", \"pinyin\"}。",
        "A school lexicon (lines of `词 pin1 yin1`), as [speech] lexicon names it.":
            "学校词典（每行 `词 pin1 yin1`），即 [speech] lexicon 指定的文件。",
        "The texts to read.":
            "要朗读的文字。",
        "Count what was broadcast: one school, or with `pull` every school of a fleet.":
            "统计广播情况：一所学校，或用 `pull` 统计全市所有学校。",
        "Split the counts by category, day, zone or source.":
            "按类别、日期、分区或来源分别统计：category、day、zone 或 source。",
        "Print CSV with a header row.":
            "输出带表头的 CSV。",
        "This school's counts (viewer or bureau).":
            "本校的统计（viewer 或 bureau）。",
        "broadcasts: what went on the air (plays that sounded, and one per plan or drill run); instant: plays, shouts and `say` a person asked for; safety: tips; bells; plans and drills: runs started; missed: scheduled events past their grace window. --json prints the whole result as one line; --csv one row per group, and the total as group `*`.":
            "broadcasts（广播）：实际播出的内容（播出的播放，每次预案或演练算一次）；instant（即时）：有人发起的播放、喊话和 `say` 朗读；safety（安全教育）：安全提示；bells（铃声）；plans 和 drills（预案和演练）：启动的次数；missed（错过）：超过宽限时间的课表事件。--json 把全部结果输出为一行；--csv 每组一行，合计的组名为 `*`。",
        "Every school's counts and the fleet's totals (bureau), over TCP with TLS.":
            "每所学校的统计和全市合计（bureau），通过 TLS 加密的 TCP。",
        "The schools file has the header id,address,token_file,ca,pin and one school per line: address is HOST:PORT, token_file the bureau's token for that school, and either ca (a PEM file) or pin (a SHA-256 fingerprint). Relative paths are relative to the file. Lines starting with # are comments. A school that cannot be reached or refuses is listed with its error, and the exit code is 1.":
            "学校列表文件的表头为 id,address,token_file,ca,pin，每行一所学校：address 为 主机:端口，token_file 是教育局用于该校的令牌，ca（PEM 文件）或 pin（SHA-256 指纹）二选一。相对路径相对于该文件。以 # 开头的行是注释。无法连接或拒绝的学校会连同错误列出，退出码为 1。",
        "The daemon's control socket (default: $CARILLON_SOCKET or /run/carillon/control.sock).":
            "守护进程的控制套接字（默认：$CARILLON_SOCKET 或 /run/carillon/control.sock）。",
        "Reach the daemon over TCP with TLS at HOST:PORT instead of the socket.":
            "通过 TLS 加密的 TCP 连接 主机:端口 上的守护进程，而不是套接字。",
        "A file holding this client's token, for --host.":
            "保存本客户端令牌的文件，用于 --host。",
        "PEM file of the CA that signed the daemon's certificate, for --host.":
            "为守护进程证书签名的 CA 的 PEM 文件，用于 --host。",
        "The daemon certificate's SHA-256 fingerprint, to trust it alone, for --host.":
            "守护进程证书的 SHA-256 指纹，只信任这一个证书，用于 --host。",
        "The schools: a CSV file with the header id,address,token_file,ca,pin (see docs).":
            "学校列表：CSV 文件，表头为 id,address,token_file,ca,pin（见文档）。",
        "Schools worked on at once.":
            "同时处理的学校数。",
        "Seconds one attempt at one school may take, connecting and logging in included.":
            "对一所学校的一次尝试最多用的秒数，包括连接和登录。",
        "Further attempts at a school that cannot be reached or times out; a refusal is never retried.":
            "无法连接或超时的学校再试几次；被拒绝的从不重试。",
        "Show progress on stderr even when it is not a terminal.":
            "即使标准错误不是终端也显示进度。",
        "Show no progress.":
            "不显示进度。",
        "Write the schools that failed to this file, as a schools file to rerun with --schools.":
            "把失败的学校写入这个文件，格式为学校列表，可用 --schools 重试。",
        "The city link: alerts, bundles, status and statistics through the bureau's MQTT broker.":
            "城市联动：经教育局的 MQTT 代理发布警报和更新包，查看各学校的状态和统计。",
        "Sign and publish a city-wide alert, and report which schools sounded it.":
            "签名并发布全市警报，并报告哪些学校已播出。",
        "The bureau's private key (PEM).":
            "教育局的私钥（PEM）。",
        "Start this plan at each school.":
            "在每所学校启动这个预案。",
        "Read this text aloud after the alarm.":
            "警报音之后朗读这段文字。",
        "Play this library clip at the emergency level.":
            "以紧急级别播放音频库中的这个音频。",
        "Seconds until the event (an earthquake's shaking), counted down aloud before the plan.":
            "距事件（如地震波到达）的秒数，在预案之前语音倒计时。",
        "Only this district's schools.":
            "只发给这个区的学校。",
        "Only these schools: comma-separated ids.":
            "只发给这些学校：学校编号，用逗号分隔。",
        "A drill: announced and logged as one.":
            "演练：按演练播报和记录。",
        "How long schools may sound it: a span such as 30s, 5m or 1h (at most 24h).":
            "学校可播出的时限：如 30s、5m 或 1h（最长 24h）。",
        "The broker, HOST:PORT.":
            "MQTT 代理，HOST:PORT。",
        "The CA of the broker's certificate (PEM); TLS is required unless the broker is on this machine.":
            "MQTT 代理证书的 CA（PEM）；代理不在本机时必须使用 TLS。",
        "The bureau's client certificate (PEM), with --cert-key.":
            "教育局的客户端证书（PEM），与 --cert-key 一起使用。",
        "The client certificate's private key (PEM).":
            "客户端证书的私钥（PEM）。",
        "A username for the broker, with --password-file.":
            "连接 MQTT 代理的用户名，与 --password-file 一起使用。",
        "A file holding the broker password.":
            "存放 MQTT 代理密码的文件。",
        "How long to wait for the schools' answers: a span such as 10s.":
            "等待学校回复的时长：如 10s。",
        "The alert is signed with the bureau's private key (as bundles are) and sounds at the emergency level only at schools whose [bureau] keys hold the public key, before it expires, once, and only where it is addressed. It waits for the schools' acknowledgements and prints how many sounded it, the delay from issue to the first alarm sample (p50, p99), and the schools that refused it or, of those whose status the broker holds, did not answer. Exits 1 unless every school that answered sounded it and every school addressed answered.":
            "警报用教育局的私钥签名（与更新包相同）。只有 [bureau] 密钥中有对应公钥的学校才会以紧急级别播出，且须在过期之前、只播一次、只在警报所指的学校。命令等待各学校的确认，然后显示播出的学校数、从发布到第一个警报采样的延迟（p50、p99），以及拒绝的学校和（代理有其状态的学校中）未回复的学校。除非每所回复的学校都已播出、且每所指定的学校都已回复，否则退出码为 1。",
        "Book a clip or a text to play later, at the announcement level (teacher or higher).":
            "预约稍后播放的音频或文字，以通知级别播出（教师及以上）。",
        "TIME is HH:MM (today, in this computer's time zone), YYYY-MM-DD HH:MM, or an ISO 8601 date-time with its offset. The daemon keeps it across restarts; one whose time passed while it was down plays if at most 60 s late, else it is marked missed.":
            "TIME 可写 HH:MM（今天，按本机时区）、YYYY-MM-DD HH:MM，或带时区偏移的 ISO 8601 日期时间。守护进程重启后预约仍在；停机期间到点的预约，晚了不超过 60 秒就照常播出，否则记为错过。",
        "When to play it: HH:MM, YYYY-MM-DD HH:MM, or ISO 8601.":
            "播放时间：HH:MM、YYYY-MM-DD HH:MM 或 ISO 8601。",
        "A clip of the library, e.g. tip.fire.012.":
            "音频库中的音频，例如 tip.fire.012。",
        "A text to read aloud after the pre-announce chime.":
            "在提示音之后朗读的文字。",
        "The voice of the text: zh (default) or en.":
            "朗读的语音：zh（默认）或 en。",
        "The announcements waiting to play.":
            "等待播出的预约广播。",
        "Also those that played, were cancelled, missed or failed in the last 7 days.":
            "也列出最近 7 天内已播出、已取消、已错过或失败的预约。",
        "Print one JSON object per announcement.":
            "每个预约输出一个 JSON 对象。",
        "Cancel an announcement that has not played yet.":
            "取消一个尚未播出的预约广播。",
        "The announcement's number, as `announce list` shows it.":
            "预约的编号，即 `announce list` 显示的编号。",
        "Write the broker's mosquitto.conf, its ACLs and the script that makes every certificate.":
            "生成 MQTT 代理的 mosquitto.conf、访问控制列表，以及生成全部证书的脚本。",
        "Reads the schools file (its district column gives each school's district) and writes, in --out: mosquitto.conf, acl-schools, acl-bureau and make-certs.sh. Run make-certs.sh there to make the schools' CA, the bureau's CA, the broker's certificate and one certificate per school (in schools/ID/); run again after adding schools, it makes only what is missing. A school's certificate names it: it reads only the city's, its district's and its own topics, writes only its own status, statistics and answers, and cannot take another school's client id; only the bureau's certificates, on their own port, publish alerts and bundle notices.":
            "读取学校列表（其中的 district 列给出各学校所属的区），在 --out 目录中写入 mosquitto.conf、acl-schools、acl-bureau 和 make-certs.sh。在该目录运行 make-certs.sh，生成学校 CA、教育局 CA、代理证书，以及每所学校一张证书（在 schools/ID/ 中）；增加学校后再次运行，只生成缺少的部分。学校证书写明学校身份：学校只能读取全市、本区和本校的主题，只能写入本校的状态、统计和回复，也不能冒用其他学校的客户端编号；只有教育局的证书（在单独的端口上）能发布警报和更新包通知。",
        "The schools file (id,address,token_file,ca,pin,district).":
            "学校列表文件（id,address,token_file,ca,pin,district）。",
        "The directory to write to.":
            "写入的目录。",
        "A name or IP address the broker is reached by; repeat for more.":
            "访问 MQTT 代理所用的主机名或 IP 地址；可重复指定多个。",
        "The schools' TLS port.":
            "学校连接的 TLS 端口。",
        "The bureau's TLS port.":
            "教育局连接的 TLS 端口。",
        "How many days the certificates last.":
            "证书的有效天数。",
        "Announce a signed bundle to the schools through the broker.":
            "经 MQTT 代理向学校发布已签名的更新包。",
        "Publishes a retained notice with the bundle's version, digest and size: the schools online apply it at once, the others when they next connect. A bundle of up to 256 KiB travels in the notice; a larger one, or one for a list of schools, is fetched by each school from --url (the bureau's HTTPS file server: copy the file there first) after a random delay. Each school verifies it exactly as `bundle apply` does. With --wait, prints each school's answer.":
            "发布一条保留的通知，写明更新包的版本、摘要和大小：在线的学校立即应用，其他学校在下次连接时应用。不超过 256 KiB 的更新包随通知一起发送；更大的更新包，或发给指定学校列表的更新包，由各学校在随机延迟后从 --url（教育局的 HTTPS 文件服务器，请先把文件复制到那里）下载。各学校按与 `bundle apply` 完全相同的方式验证。使用 --wait 时显示每所学校的回复。",
        "The bundle file (carillon bundle sign).":
            "更新包文件（由 carillon bundle sign 生成）。",
        "Where schools fetch the bundle: an https:// URL on the bureau's file server.":
            "学校下载更新包的地址：教育局文件服务器上的 https:// URL。",
        "How long to wait for the schools' answers: a span such as 30s (0s: do not wait).":
            "等待学校回复的时长：如 30s（0s 表示不等待）。",
        "Every school of the schools file as the broker last heard it.":
            "学校列表中每所学校在 MQTT 代理上的最新状态。",
        "Reads the schools' retained statuses: online or offline, when last heard, the schedule and bundle versions in force, the last alert sounded; a school the broker has never heard of is `unknown`. The last line is the totals. --json prints one object per school and the totals; --csv a header row and one row per school.":
            "读取各学校保留的状态：在线或离线、最后联系时间、生效的作息表和更新包版本、最近播出的警报；代理从未见过的学校显示为 `unknown`。最后一行是合计。--json 每所学校输出一个对象，最后是合计；--csv 输出表头行和每所学校一行。",
        "The city's report for one month, from the counts the schools publish.":
            "根据各学校发布的计数，生成全市某个月的报表。",
        "Reads each school's retained counts for the month (published at every connection, after every alert and hourly) and prints them by school, district or category, with the city's total; the schools of the file that did not report are listed, and the exit code is then 1. --png draws the month's broadcasts per district as a bar chart (gnuplot).":
            "读取各学校保留的当月计数（每次连接、每次警报之后以及每小时发布一次），按学校、区或类别输出，并给出全市合计；列出学校列表中未上报的学校，此时退出码为 1。--png 用柱状图画出当月各区的播出次数（使用 gnuplot）。",
        "The month, YYYY-MM.":
            "月份，YYYY-MM。",
        "Split the counts by school, district or category.":
            "按学校、区或类别分列计数。",
        "Draw the broadcasts per district as a bar chart in this PNG file.":
            "把各区的播出次数画成柱状图，保存到这个 PNG 文件。",
    ]
}
