<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_US" sourcelanguage="ja_JP">
<context>
    <name>AgentStateView</name>
    <message>
        <source>休止…</source>
        <translation>Pause…</translation>
    </message>
    <message>
        <source>内線 {ext}</source>
        <translation>Ext. {ext}</translation>
    </message>
    <message>
        <source>状態不明</source>
        <translation>State unknown</translation>
    </message>
    <message>
        <source>後処理を完了</source>
        <translation>Finish after-call work</translation>
    </message>
    <message>
        <source>受付可にする</source>
        <translation>Ready</translation>
    </message>
    <message>
        <source>この内線はどのキューにも入っていません。</source>
        <translation>This extension is in no queue.</translation>
    </message>
    <message>
        <source>残り {time}</source>
        <translation>{time} left</translation>
    </message>
    <message>
        <source>休止する</source>
        <translation>Pause</translation>
    </message>
    <message>
        <source>休止の理由:</source>
        <translation>Reason for the pause:</translation>
    </message>
</context>
<context>
    <name>AssignmentView</name>
    <message>
        <source>優先</source>
        <translation>Priority</translation>
    </message>
    <message>
        <source>2回目（日後、0: なし）</source>
        <translation>Second dose (days later, 0: none)</translation>
    </message>
    <message>
        <source>年齢区分（優先順）</source>
        <translation>Age bands (in priority order)</translation>
    </message>
    <message>
        <source>割り当て済みの人も組み直す（始まっていない枠のみ）</source>
        <translation>Also re-plan residents already assigned (slots not started)</translation>
    </message>
    <message>
        <source>試算</source>
        <translation>Dry run</translation>
    </message>
    <message>
        <source>確定して予約を作成</source>
        <translation>Commit and create the bookings</translation>
    </message>
    <message>
        <source>指定通知はがきのPDFを保存…</source>
        <translation>Save the appointment notices as PDF…</translation>
    </message>
    <message>
        <source>割り当て済みの予約すべての指定通知（はがき）を1つのPDFにします。</source>
        <translation>Every assigned appointment&apos;s notice postcard, in one PDF.</translation>
    </message>
    <message>
        <source>日付</source>
        <translation>Date</translation>
    </message>
    <message>
        <source>会場</source>
        <translation>Venue</translation>
    </message>
    <message>
        <source>人数</source>
        <translation>Residents</translation>
    </message>
    <message>
        <source>割り当ての確定</source>
        <translation>Commit the assignment</translation>
    </message>
    <message>
        <source>{n} 人に接種日時と会場を割り当て、予約を作成します。よろしいですか？</source>
        <translation>Give {n} residents a date, time and venue and create their bookings?</translation>
    </message>
    <message>
        <source>指定通知の保存先</source>
        <translation>Save the appointment notices</translation>
    </message>
    <message>
        <source>PDF (*.pdf)</source>
        <translation>PDF (*.pdf)</translation>
    </message>
    <message>
        <source>試算すると、書き込む前に結果を確認できます。</source>
        <translation>A dry run shows the result before anything is written.</translation>
    </message>
    <message>
        <source>対象 {c} 人: 割り当て {a} 人、割り当てできない {n} 人</source>
        <translation>{c} residents: {a} assigned, {n} not assigned</translation>
    </message>
    <message>
        <source>&#x3000;・{reason}: {n} 人</source>
        <translation>  - {reason}: {n}</translation>
    </message>
    <message>
        <source>世帯（2人以上）{h}、別々の枠になった世帯 {s}</source>
        <translation>Households of two or more: {h}; split across slots: {s}</translation>
    </message>
    <message>
        <source>最寄りの会場: {share}&#x3000;最も遅い日: {latest}</source>
        <translation>At their nearest venue: {share}; latest date: {latest}</translation>
    </message>
    <message>
        <source>2回目 {d} 件、送迎あり {t} 人</source>
        <translation>Second doses: {d}; with transport: {t}</translation>
    </message>
    <message>
        <source>別の枠へ移る {m} 人、枠がなくなる {u} 人</source>
        <translation>Moved to another slot: {m}; left without a slot: {u}</translation>
    </message>
    <message>
        <source>指定通知を作成中…</source>
        <translation>Making the notices…</translation>
    </message>
    <message>
        <source>保存しました: {path}（{size}）</source>
        <translation>Saved: {path} ({size})</translation>
    </message>
    <message>
        <source>ファイルに書き込めません: {why}</source>
        <translation>Cannot write the file: {why}</translation>
    </message>
    <message>
        <source>計算中…</source>
        <translation>Working…</translation>
    </message>
    <message>
        <source>サーバーに接続できません。</source>
        <translation>Cannot reach the server.</translation>
    </message>
    <message>
        <source>試算の後に台帳が変わりました。もう一度試算してください。</source>
        <translation>The ledger changed after the dry run. Run the dry run again.</translation>
    </message>
    <message>
        <source>試算です（まだ書き込んでいません）。</source>
        <translation>Dry run (nothing written yet).</translation>
    </message>
    <message>
        <source>{n} 件の予約を作成しました。</source>
        <translation>{n} bookings created.</translation>
    </message>
</context>
<context>
    <name>BoardCharts</name>
    <message>
        <source>待ち呼数（区間最大）</source>
        <translation>Calls waiting (peak per interval)</translation>
    </message>
    <message>
        <source>待ち呼</source>
        <translation>Waiting</translation>
    </message>
    <message>
        <source>区間ごとの応答・放棄</source>
        <translation>Answered / abandoned per interval</translation>
    </message>
    <message>
        <source>応答</source>
        <translation>Answered</translation>
    </message>
    <message>
        <source>放棄（短時間含む）</source>
        <translation>Abandoned (incl. short)</translation>
    </message>
    <message>
        <source>サービスレベル（累計）</source>
        <translation>Service level (cumulative)</translation>
    </message>
    <message>
        <source>サービスレベル</source>
        <translation>Service level</translation>
    </message>
    <message>
        <source>注意</source>
        <translation>Caution</translation>
    </message>
    <message>
        <source>警告</source>
        <translation>Alert</translation>
    </message>
</context>
<context>
    <name>BoardView</name>
    <message>
        <source>休止…</source>
        <translation>Pause…</translation>
    </message>
    <message>
        <source>再開</source>
        <translation>Resume</translation>
    </message>
    <message>
        <source>しきい値…</source>
        <translation>Thresholds…</translation>
    </message>
    <message>
        <source>ボードのデータを待っています</source>
        <translation>Waiting for the board data</translation>
    </message>
    <message>
        <source>PBX接続中</source>
        <translation>PBX connected</translation>
    </message>
    <message>
        <source>PBX未接続：表示が古い可能性があります</source>
        <translation>PBX not connected: the figures may be out of date</translation>
    </message>
    <message>
        <source>移動支援 未手配: {n} 件</source>
        <translation>Mobility requests open: {n}</translation>
    </message>
    <message>
        <source>{venue} 受付済 {came}/{booked}・来場なし {gone}</source>
        <translation>{venue} checked in {came}/{booked}, no-show {gone}</translation>
    </message>
    <message>
        <source>会場受付（本日）: </source>
        <translation>Venue reception (today): </translation>
    </message>
    <message>
        <source>折り返し待ち: {n} 件（発信可 {due} 件）</source>
        <translation>Callbacks waiting: {n} ({due} due)</translation>
    </message>
    <message>
        <source>最古 {m} 分</source>
        <translation>oldest {m} min</translation>
    </message>
    <message>
        <source>休止を依頼中…</source>
        <translation>Pause requested…</translation>
    </message>
    <message>
        <source>再開を依頼中…</source>
        <translation>Resume requested…</translation>
    </message>
    <message>
        <source>操作できませんでした: </source>
        <translation>Could not be done: </translation>
    </message>
    <message>
        <source>PBX に送りました。ボードに反映されるのを待っています…</source>
        <translation>Sent to the PBX. Waiting for the board to show it…</translation>
    </message>
    <message>
        <source>{name}（{ext}）を休止します。理由:</source>
        <translation>Pause {name} ({ext}). Reason:</translation>
    </message>
    <message>
        <source>オペレーターを休止</source>
        <translation>Pause an agent</translation>
    </message>
</context>
<context>
    <name>BookingView</name>
    <message>
        <source>会場</source>
        <translation>Venue</translation>
    </message>
    <message>
        <source>日付</source>
        <translation>Day</translation>
    </message>
    <message>
        <source>予約を取り消す</source>
        <translation>Cancel booking</translation>
    </message>
    <message>
        <source>この日は来られない</source>
        <translation>Cannot come that day</translation>
    </message>
    <message>
        <source>現在の予約: {venue} {when}（#{id}）</source>
        <translation>Current booking: {venue} {when} (#{id})</translation>
    </message>
    <message>
        <source>予約はまだありません</source>
        <translation>No booking yet</translation>
    </message>
    <message>
        <source>予約を変更する</source>
        <translation>Change booking</translation>
    </message>
    <message>
        <source>予約する</source>
        <translation>Book</translation>
    </message>
    <message>
        <source>予約を取り消しました。</source>
        <translation>Booking cancelled.</translation>
    </message>
    <message>
        <source>予約を取り消しました。この日には今後割り当てません。</source>
        <translation>Booking cancelled. This day will not be assigned to them again.</translation>
    </message>
    <message>
        <source>予約を受け付けました。</source>
        <translation>Booking accepted.</translation>
    </message>
    <message>
        <source>{wanted} にこの会場の枠がありません</source>
        <translation>this venue has no slot on {wanted}</translation>
    </message>
    <message>
        <source>{wanted} の枠は満席です</source>
        <translation>the slot on {wanted} is full</translation>
    </message>
    <message>
        <source>{wanted} の枠に送迎の空きがありません</source>
        <translation>the slot on {wanted} has no transport seat left</translation>
    </message>
    <message>
        <source>{dose}回目の接種も {when} {venue} に移しました。</source>
        <translation>Dose {dose} moved too: {when} {venue}.</translation>
    </message>
    <message>
        <source>{dose}回目の接種（{when}）も取り消しました。</source>
        <translation>Dose {dose} ({when}) cancelled too.</translation>
    </message>
    <message>
        <source>{dose}回目は移せません（{why}）。{when} のまま折り返しリストに入れました。</source>
        <translation>Dose {dose} could not be moved ({why}); it stays on {when} and is on the callback worklist.</translation>
    </message>
    <message>
        <source>空きのある候補（近い会場から）:</source>
        <translation>Open slots (nearest venue first):</translation>
    </message>
    <message>
        <source>・{when} {venue}（残り {free}）</source>
        <translation>- {when} {venue} ({free} left)</translation>
    </message>
</context>
<context>
    <name>CallHeaderView</name>
    <message>
        <source>着信待ち</source>
        <translation>Waiting for a call</translation>
    </message>
    <message>
        <source>キュー: {queue}</source>
        <translation>Queue: {queue}</translation>
    </message>
    <message>
        <source>住民未確認</source>
        <translation>Resident not confirmed</translation>
    </message>
    <message>
        <source>{date}生</source>
        <translation>born {date}</translation>
    </message>
    <message>
        <source>世帯 {no}（{n}人）</source>
        <translation>Household {no} ({n})</translation>
    </message>
    <message>
        <source>待ち {time}</source>
        <translation>Wait {time}</translation>
    </message>
    <message>
        <source>通話 {time}</source>
        <translation>Talk {time}</translation>
    </message>
</context>
<context>
    <name>CampaignConfigView</name>
    <message>
        <source>コード</source>
        <translation>Code</translation>
    </message>
    <message>
        <source>日本語</source>
        <translation>Japanese</translation>
    </message>
    <message>
        <source>英語</source>
        <translation>English</translation>
    </message>
    <message>
        <source>行を追加</source>
        <translation>Add row</translation>
    </message>
    <message>
        <source>選択行を削除</source>
        <translation>Remove selected row</translation>
    </message>
    <message>
        <source>通話結果コードを保存</source>
        <translation>Save wrap-up codes</translation>
    </message>
    <message>
        <source>折り返しの再試行</source>
        <translation>Callback retries</translation>
    </message>
    <message>
        <source>選択肢の一覧</source>
        <translation>Option lists</translation>
    </message>
    <message>
        <source>意向確認の質問</source>
        <translation>Intent questions</translation>
    </message>
    <message>
        <source>移動支援が必要かを尋ねる</source>
        <translation>Ask whether mobility support is needed</translation>
    </message>
    <message>
        <source>質問の設定を保存</source>
        <translation>Save the questions</translation>
    </message>
    <message>
        <source>試行回数</source>
        <translation>Attempts</translation>
    </message>
    <message>
        <source>間隔（分）</source>
        <translation>Interval (minutes)</translation>
    </message>
    <message>
        <source>架電開始</source>
        <translation>Calling from</translation>
    </message>
    <message>
        <source>架電終了</source>
        <translation>Calling until</translation>
    </message>
    <message>
        <source>担当の保持（分）</source>
        <translation>Claim held (minutes)</translation>
    </message>
    <message>
        <source>再試行の設定を保存</source>
        <translation>Save retry policy</translation>
    </message>
    <message>
        <source>再読み込み</source>
        <translation>Reload</translation>
    </message>
    <message>
        <source>移動支援の選択肢を保存</source>
        <translation>Save mobility options</translation>
    </message>
    <message>
        <source>送信中…</source>
        <translation>Sending…</translation>
    </message>
    <message>
        <source>他の人が先に変更しました。保存されている内容を読み込み直しました。</source>
        <translation>Someone else changed it first; reloaded what is stored now.</translation>
    </message>
    <message>
        <source>送信できませんでした: </source>
        <translation>Could not be sent: </translation>
    </message>
    <message>
        <source>保存しました。</source>
        <translation>Saved.</translation>
    </message>
    <message>
        <source>{key} の版 {version} を読み込みました。保存すると新しい版になります。</source>
        <translation>Loaded version {version} of {key}; saving it makes it a new version.</translation>
    </message>
    <message>
        <source>{row} 行目</source>
        <translation>row {row}</translation>
    </message>
</context>
<context>
    <name>CandidateTree</name>
    <message>
        <source>番号</source>
        <translation>No.</translation>
    </message>
    <message>
        <source>氏名（カナ）</source>
        <translation>Name (kana)</translation>
    </message>
    <message>
        <source>一致理由</source>
        <translation>Matched by</translation>
    </message>
    <message>
        <source>生年月日</source>
        <translation>Birth date</translation>
    </message>
    <message>
        <source>年齢</source>
        <translation>Age</translation>
    </message>
    <message>
        <source>状況</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>世帯 {no}</source>
        <translation>Household {no}</translation>
    </message>
    <message>
        <source>世帯不明</source>
        <translation>Household unknown</translation>
    </message>
</context>
<context>
    <name>IntentFormView</name>
    <message>
        <source>意向確認を記録（電話）</source>
        <translation>Record intent (phone)</translation>
    </message>
    <message>
        <source>接種希望</source>
        <translation>Wants vaccination</translation>
    </message>
    <message>
        <source>移動支援</source>
        <translation>Mobility</translation>
    </message>
    <message>
        <source>メモ</source>
        <translation>Notes</translation>
    </message>
    <message>
        <source>未回答</source>
        <translation>no answer</translation>
    </message>
    <message>
        <source>はい</source>
        <translation>yes</translation>
    </message>
    <message>
        <source>いいえ</source>
        <translation>no</translation>
    </message>
    <message>
        <source>例: 家族と相談してから予約したい</source>
        <translation>e.g. wants to talk it over with the family before booking</translation>
    </message>
    <message>
        <source>記録する</source>
        <translation>Record</translation>
    </message>
    <message>
        <source>意向を記録しました。</source>
        <translation>Intent recorded.</translation>
    </message>
</context>
<context>
    <name>LoginDialog</name>
    <message>
        <source>ログイン — CTI アシスタント</source>
        <translation>Log in — CTI Assistant</translation>
    </message>
    <message>
        <source>サーバー</source>
        <translation>Server</translation>
    </message>
    <message>
        <source>ユーザー名</source>
        <translation>User name</translation>
    </message>
    <message>
        <source>パスワード</source>
        <translation>Password</translation>
    </message>
    <message>
        <source>内線番号</source>
        <translation>Extension</translation>
    </message>
    <message>
        <source>ログイン</source>
        <translation>Log in</translation>
    </message>
    <message>
        <source>キャンセル</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <source>サーバーとユーザー名を入れてください。</source>
        <translation>Enter the server and the user name.</translation>
    </message>
    <message>
        <source>ログインしています…</source>
        <translation>Logging in…</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>CTI アシスタント</source>
        <translation>CTI Assistant</translation>
    </message>
    <message>
        <source>住民カード</source>
        <translation>Resident</translation>
    </message>
    <message>
        <source>予約</source>
        <translation>Booking</translation>
    </message>
    <message>
        <source>移動支援</source>
        <translation>Mobility</translation>
    </message>
    <message>
        <source>通話メモ</source>
        <translation>Wrap-up</translation>
    </message>
    <message>
        <source>通話対応</source>
        <translation>Calls</translation>
    </message>
    <message>
        <source>監視ボード</source>
        <translation>Supervisor board</translation>
    </message>
    <message>
        <source>会場・枠</source>
        <translation>Venues and slots</translation>
    </message>
    <message>
        <source>はがき確認</source>
        <translation>Postcard review</translation>
    </message>
    <message>
        <source>割り当て</source>
        <translation>Assignment</translation>
    </message>
    <message>
        <source>折り返し</source>
        <translation>Callbacks</translation>
    </message>
    <message>
        <source>キャンペーン設定</source>
        <translation>Campaign settings</translation>
    </message>
    <message>
        <source>表示(&amp;V)</source>
        <translation>&amp;View</translation>
    </message>
    <message>
        <source>言語 / Language</source>
        <translation>Language / 言語</translation>
    </message>
    <message>
        <source>ヘルプ(&amp;H)</source>
        <translation>&amp;Help</translation>
    </message>
    <message>
        <source>ショートカット一覧</source>
        <translation>Keyboard shortcuts</translation>
    </message>
    <message>
        <source>送信できなかった入力…</source>
        <translation>Sends that failed…</translation>
    </message>
    <message>
        <source>● 接続中</source>
        <translation>● Connected</translation>
    </message>
    <message>
        <source>… 接続しています</source>
        <translation>… Connecting</translation>
    </message>
    <message>
        <source>⚠ 切断 — 再接続しています（{s} 秒後に再試行）</source>
        <translation>⚠ Disconnected — reconnecting (next try in {s} s)</translation>
    </message>
    <message>
        <source>⚠ 切断 — 再接続しています</source>
        <translation>⚠ Disconnected — reconnecting</translation>
    </message>
    <message>
        <source>○ 未接続</source>
        <translation>○ Not connected</translation>
    </message>
    <message>
        <source>✖ サーバーの版が合いません</source>
        <translation>✖ Server version not supported</translation>
    </message>
    <message>
        <source>✖ ログアウトされました — ログインし直してください</source>
        <translation>✖ Signed out — please log in again</translation>
    </message>
    <message>
        <source>⚠ PBX との接続が切れています — 新しい着信は表示されません。表示中の着信は終わっている可能性があります。</source>
        <translation>⚠ The connection to the PBX is lost — new calls will not pop up, and the call shown may already be over.</translation>
    </message>
    <message>
        <source>（{t} から）</source>
        <translation> (since {t})</translation>
    </message>
    <message>
        <source>送信待ち {n}件</source>
        <translation>{n} waiting to send</translation>
    </message>
    <message>
        <source>送信失敗 {n}件</source>
        <translation>{n} failed</translation>
    </message>
</context>
<context>
    <name>MobilityView</name>
    <message>
        <source>迎え先の住所</source>
        <translation>Pickup address</translation>
    </message>
    <message>
        <source>支援内容</source>
        <translation>Support</translation>
    </message>
    <message>
        <source>メモ</source>
        <translation>Notes</translation>
    </message>
    <message>
        <source>移動支援を登録</source>
        <translation>Save mobility request</translation>
    </message>
    <message>
        <source>予約 #{id} に紐づけます</source>
        <translation>Tied to booking #{id}</translation>
    </message>
    <message>
        <source>送信待ちの予約に紐づけます（予約の登録後に送信）</source>
        <translation>Tied to the booking waiting to be sent (sent after it)</translation>
    </message>
    <message>
        <source>予約なし（予約の前に登録することもできます）</source>
        <translation>No booking (you may also save this before booking)</translation>
    </message>
    <message>
        <source>移動支援を登録しました。</source>
        <translation>Mobility request saved.</translation>
    </message>
</context>
<context>
    <name>PopView</name>
    <message>
        <source>この方で確定</source>
        <translation>Confirm this person</translation>
    </message>
    <message>
        <source>先頭（選択中）の候補を確定</source>
        <translation>Confirm the top (selected) candidate</translation>
    </message>
    <message>
        <source>検索</source>
        <translation>Search</translation>
    </message>
    <message>
        <source>氏名（漢字・カナ）</source>
        <translation>Name (kanji or kana)</translation>
    </message>
    <message>
        <source>例: S17.4.1 / 昭和17年 / 1942</source>
        <translation>e.g. S17.4.1 / Shōwa 17 / 1942</translation>
    </message>
    <message>
        <source>例: 0773-62-1234</source>
        <translation>e.g. 0773-62-1234</translation>
    </message>
    <message>
        <source>例: 字浜 123</source>
        <translation>e.g. 字浜 123</translation>
    </message>
    <message>
        <source>氏名</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>生年月日</source>
        <translation>Birth date</translation>
    </message>
    <message>
        <source>電話</source>
        <translation>Phone</translation>
    </message>
    <message>
        <source>住所</source>
        <translation>Address</translation>
    </message>
    <message>
        <source>はがき番号</source>
        <translation>Postcard no.</translation>
    </message>
    <message>
        <source>12桁（読み上げ・スキャナー）</source>
        <translation>12 digits (read out, or scan)</translation>
    </message>
    <message>
        <source>台帳に接続できません。</source>
        <translation>Cannot reach the resident ledger.</translation>
    </message>
    <message>
        <source>着信の電話番号は表示されます。入力した内容はこの端末に保存され、復旧後に送信されます。</source>
        <translation>Callers&apos; numbers are still shown. What you enter is kept on this computer and sent when the ledger is back.</translation>
    </message>
    <message>
        <source>着信待ち</source>
        <translation>Waiting for a call</translation>
    </message>
    <message>
        <source>本日 {n} 回目の着信</source>
        <translation>Call no. {n} from this number today</translation>
    </message>
    <message>
        <source>PBX 切断中: この着信は終わっている可能性があります</source>
        <translation>PBX link down: this call may already be over</translation>
    </message>
    <message>
        <source>台帳を照会中…</source>
        <translation>Looking up the ledger…</translation>
    </message>
    <message>
        <source>台帳を照会できませんでした。検索してください。</source>
        <translation>The ledger could not be asked. Please search.</translation>
    </message>
    <message>
        <source>該当する住民がいません。検索してください。</source>
        <translation>No resident matches this number. Please search.</translation>
    </message>
    <message>
        <source>キュー: {queue}&#x3000;待ち時間: {wait}&#x3000;{state}</source>
        <translation>Queue: {queue}   Waited: {wait}   {state}</translation>
    </message>
    <message>
        <source>検索中…</source>
        <translation>Searching…</translation>
    </message>
    <message>
        <source>入力すると候補が表示されます</source>
        <translation>Results appear as you type</translation>
    </message>
    <message>
        <source>{n}件（同じ一致度の方がほかに{m}人以上: 生年月日か番地で絞り込み）</source>
        <translation>{n} found (at least {m} more match as well: narrow down by birth date or address number)</translation>
    </message>
    <message>
        <source>{n}件</source>
        <translation>{n} found</translation>
    </message>
</context>
<context>
    <name>ReconfigureDialog</name>
    <message>
        <source>影響を受ける予約</source>
        <translation>Bookings affected</translation>
    </message>
    <message>
        <source>この変更で %1 件の予約に影響があります（予約順）。</source>
        <translation>This change affects %1 booking(s) (in booking order).</translation>
    </message>
    <message>
        <source>氏名</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>現在の枠</source>
        <translation>Current slot</translation>
    </message>
    <message>
        <source>理由</source>
        <translation>Reason</translation>
    </message>
    <message>
        <source>提案する枠</source>
        <translation>Proposed slot</translation>
    </message>
    <message>
        <source>提案の枠へ移す</source>
        <translation>Move to the proposed slots</translation>
    </message>
    <message>
        <source>折り返しリストへ</source>
        <translation>Put on the callback worklist</translation>
    </message>
</context>
<context>
    <name>ResidentCardView</name>
    <message>
        <source>カナ</source>
        <translation>Kana</translation>
    </message>
    <message>
        <source>宛名番号</source>
        <translation>Resident no.</translation>
    </message>
    <message>
        <source>生年月日</source>
        <translation>Birth date</translation>
    </message>
    <message>
        <source>年齢</source>
        <translation>Age</translation>
    </message>
    <message>
        <source>住所</source>
        <translation>Address</translation>
    </message>
    <message>
        <source>電話</source>
        <translation>Phone</translation>
    </message>
    <message>
        <source>世帯番号</source>
        <translation>Household no.</translation>
    </message>
    <message>
        <source>最新の意向</source>
        <translation>Latest intent</translation>
    </message>
    <message>
        <source>世帯員</source>
        <translation>Household members</translation>
    </message>
    <message>
        <source>意向確認</source>
        <translation>Intent confirmation</translation>
    </message>
    <message>
        <source>予約</source>
        <translation>Booking</translation>
    </message>
    <message>
        <source>移動支援</source>
        <translation>Mobility</translation>
    </message>
    <message>
        <source>過去の通話</source>
        <translation>Previous calls</translation>
    </message>
    <message>
        <source>氏名</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>接種希望</source>
        <translation>Wants vaccination</translation>
    </message>
    <message>
        <source>経路</source>
        <translation>Channel</translation>
    </message>
    <message>
        <source>受付日時</source>
        <translation>Recorded</translation>
    </message>
    <message>
        <source>メモ</source>
        <translation>Notes</translation>
    </message>
    <message>
        <source>会場</source>
        <translation>Venue</translation>
    </message>
    <message>
        <source>日時</source>
        <translation>Date and time</translation>
    </message>
    <message>
        <source>状態</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>番号</source>
        <translation>No.</translation>
    </message>
    <message>
        <source>迎え先</source>
        <translation>Pickup</translation>
    </message>
    <message>
        <source>支援内容</source>
        <translation>Support</translation>
    </message>
    <message>
        <source>結果</source>
        <translation>Outcome</translation>
    </message>
    <message>
        <source>候補を確定すると住民カードが表示されます</source>
        <translation>Confirm a candidate to see the resident card</translation>
    </message>
    <message>
        <source>まだ回答なし</source>
        <translation>No answer yet</translation>
    </message>
</context>
<context>
    <name>ReviewView</name>
    <message>
        <source>理由</source>
        <translation>Reason</translation>
    </message>
    <message>
        <source>はがき番号</source>
        <translation>Postcard no.</translation>
    </message>
    <message>
        <source>受付日時</source>
        <translation>Received</translation>
    </message>
    <message>
        <source>↑↓: 移動 ／ Ctrl+Enter: 確定（修正を反映） ／ Ctrl+R: 却下</source>
        <translation>Up/Down: move / Ctrl+Enter: accept (with the corrections) / Ctrl+R: reject</translation>
    </message>
    <message>
        <source>スキャン取込…</source>
        <translation>Upload scans…</translation>
    </message>
    <message>
        <source>{n} ファイルを送信して読み取り中…</source>
        <translation>Sending {n} files, reading them…</translation>
    </message>
    <message>
        <source>（未回答）</source>
        <translation>(no answer)</translation>
    </message>
    <message>
        <source>送信中…</source>
        <translation>Sending…</translation>
    </message>
    <message>
        <source>サーバーに接続できません。</source>
        <translation>Cannot reach the server.</translation>
    </message>
    <message>
        <source>返送はがきのスキャンを選ぶ</source>
        <translation>Choose scans of returned postcards</translation>
    </message>
    <message>
        <source>スキャン (*.png *.jpg *.jpeg *.tif *.tiff *.pdf)</source>
        <translation>Scans (*.png *.jpg *.jpeg *.tif *.tiff *.pdf)</translation>
    </message>
    <message>
        <source>確認待ちのはがきはありません。</source>
        <translation>No postcards waiting for review.</translation>
    </message>
</context>
<context>
    <name>ShortcutsDialog</name>
    <message>
        <source>ショートカット一覧</source>
        <translation>Keyboard shortcuts</translation>
    </message>
    <message>
        <source>キー</source>
        <translation>Keys</translation>
    </message>
    <message>
        <source>操作</source>
        <translation>Action</translation>
    </message>
</context>
<context>
    <name>SlotTable</name>
    <message>
        <source>時間</source>
        <translation>Time</translation>
    </message>
    <message>
        <source>定員</source>
        <translation>Capacity</translation>
    </message>
    <message>
        <source>予約済</source>
        <translation>Booked</translation>
    </message>
    <message>
        <source>残り</source>
        <translation>Left</translation>
    </message>
    <message>
        <source>満員</source>
        <translation>Full</translation>
    </message>
    <message>
        <source>受付終了</source>
        <translation>Closed</translation>
    </message>
</context>
<context>
    <name>StatusLine</name>
    <message>
        <source>送信中…</source>
        <translation>Sending…</translation>
    </message>
    <message>
        <source>サーバーと切断中です。入力は保存され、接続が戻りしだい送信します。</source>
        <translation>The server is unreachable. Your entry is kept and will be sent when the connection is back.</translation>
    </message>
    <message>
        <source>送信できませんでした: </source>
        <translation>Could not be sent: </translation>
    </message>
    <message>
        <source>サーバーと切断中です。送信待ちの間は変更できません。接続が戻りしだい送信します。</source>
        <translation>The server is unreachable. The entry is locked while it waits and will be sent when the connection is back.</translation>
    </message>
    <message>
        <source>変更が保存されていません。もう一度保存してください。</source>
        <translation>Changes not saved yet. Please save again.</translation>
    </message>
</context>
<context>
    <name>SubjectBar</name>
    <message>
        <source>対象: {who}</source>
        <translation>For: {who}</translation>
    </message>
    <message>
        <source>通話: {call}</source>
        <translation>Call: {call}</translation>
    </message>
</context>
<context>
    <name>ThresholdDialog</name>
    <message>
        <source>しきい値</source>
        <translation>Thresholds</translation>
    </message>
    <message>
        <source>表の色が変わる値です。</source>
        <translation>Where the colours of the tables change.</translation>
    </message>
    <message>
        <source>キャンセル</source>
        <translation>Cancel</translation>
    </message>
</context>
<context>
    <name>VenueAdminController</name>
    <message>
        <source>（空きなし）</source>
        <translation>(no slot with room)</translation>
    </message>
</context>
<context>
    <name>VenueAdminView</name>
    <message>
        <source>会場</source>
        <translation>Venue</translation>
    </message>
    <message>
        <source>枠</source>
        <translation>Slots</translation>
    </message>
    <message>
        <source>枠を一括追加（この日）</source>
        <translation>Add slots for this day</translation>
    </message>
    <message>
        <source>会場名</source>
        <translation>Venue name</translation>
    </message>
    <message>
        <source>住所</source>
        <translation>Address</translation>
    </message>
    <message>
        <source>状態</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>日付</source>
        <translation>Day</translation>
    </message>
    <message>
        <source>定員</source>
        <translation>Capacity</translation>
    </message>
    <message>
        <source>開始時刻</source>
        <translation>Start time</translation>
    </message>
    <message>
        <source>終了時刻</source>
        <translation>End time</translation>
    </message>
    <message>
        <source>1枠の長さ（分）</source>
        <translation>Slot length (min)</translation>
    </message>
    <message>
        <source>1枠の定員</source>
        <translation>Capacity per slot</translation>
    </message>
    <message>
        <source>新しい会場として追加</source>
        <translation>Add as new venue</translation>
    </message>
    <message>
        <source>会場名・住所を保存</source>
        <translation>Save name and address</translation>
    </message>
    <message>
        <source>定員を変更</source>
        <translation>Change capacity</translation>
    </message>
    <message>
        <source>枠を削除</source>
        <translation>Delete slot</translation>
    </message>
    <message>
        <source>枠を追加</source>
        <translation>Add slots</translation>
    </message>
    <message>
        <source>例: 中総合会館</source>
        <translation>e.g. Naka Community Hall</translation>
    </message>
    <message>
        <source>例: 舞鶴市字浜 1</source>
        <translation>e.g. 1 Hama, Maizuru</translation>
    </message>
    <message>
        <source>無効にする</source>
        <translation>Deactivate</translation>
    </message>
    <message>
        <source>有効に戻す</source>
        <translation>Reactivate</translation>
    </message>
    <message>
        <source>会場を選んでください</source>
        <translation>Choose a venue</translation>
    </message>
    <message>
        <source>この日: {n}枠&#x3000;定員 {cap}&#x3000;予約済 {booked}&#x3000;残り {left}</source>
        <translation>This day: {n} slots, capacity {cap}, booked {booked}, left {left}</translation>
    </message>
    <message>
        <source>受付中</source>
        <translation>Active</translation>
    </message>
    <message>
        <source>無効</source>
        <translation>Inactive</translation>
    </message>
</context>
<context>
    <name>WorklistView</name>
    <message>
        <source>理由</source>
        <translation>Reason</translation>
    </message>
    <message>
        <source>氏名</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>電話番号</source>
        <translation>Phone</translation>
    </message>
    <message>
        <source>試行</source>
        <translation>Tries</translation>
    </message>
    <message>
        <source>次回</source>
        <translation>Next try</translation>
    </message>
    <message>
        <source>優先度</source>
        <translation>Priority</translation>
    </message>
    <message>
        <source>内容</source>
        <translation>Details</translation>
    </message>
    <message>
        <source>次を取る (Ctrl+N)</source>
        <translation>Take next (Ctrl+N)</translation>
    </message>
    <message>
        <source>選択を取る</source>
        <translation>Take selected</translation>
    </message>
    <message>
        <source>優先度を変更</source>
        <translation>Change priority</translation>
    </message>
    <message>
        <source>対応中</source>
        <translation>In hand</translation>
    </message>
    <message>
        <source>メモ</source>
        <translation>Note</translation>
    </message>
    <message>
        <source>戻す</source>
        <translation>Give back</translation>
    </message>
    <message>
        <source>今すぐ</source>
        <translation>now</translation>
    </message>
    <message>
        <source>「次を取る」で折り返し先を1件取ります。</source>
        <translation>“Take next” takes one callback for you.</translation>
    </message>
    <message>
        <source>発信</source>
        <translation>Call</translation>
    </message>
    <message>
        <source>（住民不明）</source>
        <translation>(resident unknown)</translation>
    </message>
    <message>
        <source>%1 に発信中…</source>
        <translation>Calling %1…</translation>
    </message>
    <message>
        <source>%1 に発信 (Ctrl+D)</source>
        <translation>Call %1 (Ctrl+D)</translation>
    </message>
    <message>
        <source>待ち %1 件（発信可 %2 件・対応中 %3 件）</source>
        <translation>%1 waiting (%2 due, %3 in hand)</translation>
    </message>
    <message>
        <source>最古 %1 分</source>
        <translation>oldest %1 min</translation>
    </message>
    <message>
        <source>送信中…</source>
        <translation>Sending…</translation>
    </message>
    <message>
        <source>いま発信できる折り返しはありません。</source>
        <translation>No callback is due now.</translation>
    </message>
    <message>
        <source>サーバーに接続できません。</source>
        <translation>Cannot reach the server.</translation>
    </message>
    <message>
        <source>折り返し待ちはありません。</source>
        <translation>No callbacks waiting.</translation>
    </message>
</context>
<context>
    <name>WrapUpView</name>
    <message>
        <source>通話の切替</source>
        <translation>Switch call</translation>
    </message>
    <message>
        <source>結果（複数可）</source>
        <translation>Result (one or more)</translation>
    </message>
    <message>
        <source>メモ</source>
        <translation>Notes</translation>
    </message>
    <message>
        <source>通話記録に保存</source>
        <translation>Save to call record</translation>
    </message>
    <message>
        <source>通話: {call}</source>
        <translation>Call: {call}</translation>
    </message>
    <message>
        <source>結果を1つ以上選ぶと保存できます。</source>
        <translation>Tick at least one result to save.</translation>
    </message>
    <message>
        <source>（表示中）</source>
        <translation> (shown)</translation>
    </message>
    <message>
        <source>未保存の通話メモ（ほかに {n} 件）</source>
        <translation>Unsaved wrap-ups ({n} more)</translation>
    </message>
    <message>
        <source>通話なし</source>
        <translation>No call</translation>
    </message>
    <message>
        <source>対象: {who}</source>
        <translation>For: {who}</translation>
    </message>
    <message>
        <source>通話記録に保存しました。</source>
        <translation>Saved to the call record.</translation>
    </message>
</context>
<context>
    <name>agent_state</name>
    <message>
        <source>休憩</source>
        <translation>Break</translation>
    </message>
    <message>
        <source>研修</source>
        <translation>Training</translation>
    </message>
    <message>
        <source>事務作業</source>
        <translation>Paperwork</translation>
    </message>
    <message>
        <source>打合せ</source>
        <translation>Meeting</translation>
    </message>
    <message>
        <source>受付可</source>
        <translation>Available</translation>
    </message>
    <message>
        <source>休止中</source>
        <translation>Paused</translation>
    </message>
    <message>
        <source>後処理</source>
        <translation>After-call work</translation>
    </message>
    <message>
        <source>着信中</source>
        <translation>Ringing</translation>
    </message>
    <message>
        <source>通話中</source>
        <translation>In call</translation>
    </message>
    <message>
        <source>電話機が未接続</source>
        <translation>Phone not connected</translation>
    </message>
    <message>
        <source>キュー未参加</source>
        <translation>In no queue</translation>
    </message>
    <message>
        <source>状態不明</source>
        <translation>State unknown</translation>
    </message>
    <message>
        <source>スーパーバイザー</source>
        <translation>A supervisor</translation>
    </message>
    <message>
        <source>{who} さんが休止にしました（{reason}）</source>
        <translation>{who} paused you ({reason})</translation>
    </message>
    <message>
        <source>{who} さんが休止を解除しました</source>
        <translation>{who} unpaused you</translation>
    </message>
    <message>
        <source>PBX で休止になりました（{reason}）</source>
        <translation>Paused at the PBX ({reason})</translation>
    </message>
    <message>
        <source>PBX で休止が解除されました</source>
        <translation>Unpaused at the PBX</translation>
    </message>
</context>
<context>
    <name>assignment</name>
    <message>
        <source>空きがない</source>
        <translation>no capacity left</translation>
    </message>
    <message>
        <source>送迎の席がない</source>
        <translation>no transport seats left</translation>
    </message>
    <message>
        <source>車いす対応の枠がない</source>
        <translation>no slot with wheelchair access</translation>
    </message>
    <message>
        <source>2回目の枠がない</source>
        <translation>no second-dose slot</translation>
    </message>
    <message>
        <source>来場できない日ばかり</source>
        <translation>only on days they cannot come</translation>
    </message>
    <message>
        <source>近い会場を優先</source>
        <translation>Nearest venue first</translation>
    </message>
    <message>
        <source>早い日を優先</source>
        <translation>Earliest day first</translation>
    </message>
</context>
<context>
    <name>board</name>
    <message>
        <source>非通知</source>
        <translation>Withheld</translation>
    </message>
    <message>
        <source>公衆電話</source>
        <translation>Payphone</translation>
    </message>
    <message>
        <source>表示圏外</source>
        <translation>Unavailable</translation>
    </message>
    <message>
        <source>番号不正</source>
        <translation>Invalid number</translation>
    </message>
    <message>
        <source>番号なし</source>
        <translation>No number</translation>
    </message>
    <message>
        <source>意向: はがき {postcard}・ウェブ {web}・電話 {phone}・未回答 {none}</source>
        <translation>Intents: postcard {postcard} · web {web} · phone {phone} · none yet {none}</translation>
    </message>
    <message>
        <source>未割当 {to_assign}・割当不可 {cannot}</source>
        <translation>To assign {to_assign} · cannot assign {cannot}</translation>
    </message>
    <message>
        <source>（確定した割当なし）</source>
        <translation> (no assignment committed yet)</translation>
    </message>
    <message>
        <source>（最終割当 {at}）</source>
        <translation> (last assignment {at})</translation>
    </message>
</context>
<context>
    <name>board_tables</name>
    <message>
        <source>受付可</source>
        <translation>Available</translation>
    </message>
    <message>
        <source>呼出中</source>
        <translation>Ringing</translation>
    </message>
    <message>
        <source>通話中</source>
        <translation>In call</translation>
    </message>
    <message>
        <source>使用中</source>
        <translation>Busy</translation>
    </message>
    <message>
        <source>休止</source>
        <translation>Paused</translation>
    </message>
    <message>
        <source>不在</source>
        <translation>Unavailable</translation>
    </message>
    <message>
        <source>ログアウト</source>
        <translation>Logged out</translation>
    </message>
    <message>
        <source>休憩</source>
        <translation>Break</translation>
    </message>
    <message>
        <source>研修</source>
        <translation>Training</translation>
    </message>
    <message>
        <source>事務作業</source>
        <translation>Paperwork</translation>
    </message>
    <message>
        <source>打合せ</source>
        <translation>Meeting</translation>
    </message>
    <message>
        <source>キュー（現在）</source>
        <translation>Queues (now)</translation>
    </message>
    <message>
        <source>本日</source>
        <translation>Today</translation>
    </message>
    <message>
        <source>オペレーター</source>
        <translation>Agents</translation>
    </message>
    <message>
        <source>予約状況</source>
        <translation>Bookings</translation>
    </message>
    <message>
        <source>15分ごと</source>
        <translation>Per 15 minutes</translation>
    </message>
    <message>
        <source>待っている呼</source>
        <translation>Callers waiting</translation>
    </message>
    <message>
        <source>指定予約</source>
        <translation>Assigned</translation>
    </message>
    <message>
        <source>キュー</source>
        <translation>Queue</translation>
    </message>
    <message>
        <source>待ち呼</source>
        <translation>Waiting</translation>
    </message>
    <message>
        <source>最長待ち</source>
        <translation>Longest wait</translation>
    </message>
    <message>
        <source>着信</source>
        <translation>Offered</translation>
    </message>
    <message>
        <source>応答</source>
        <translation>Answered</translation>
    </message>
    <message>
        <source>放棄</source>
        <translation>Abandoned</translation>
    </message>
    <message>
        <source>短時間放棄</source>
        <translation>Short aband.</translation>
    </message>
    <message>
        <source>平均待ち</source>
        <translation>Avg wait</translation>
    </message>
    <message>
        <source>90%待ち</source>
        <translation>90% wait</translation>
    </message>
    <message>
        <source>平均通話</source>
        <translation>Avg talk</translation>
    </message>
    <message>
        <source>内線</source>
        <translation>Ext.</translation>
    </message>
    <message>
        <source>名前</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>状態</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>経過</source>
        <translation>In state</translation>
    </message>
    <message>
        <source>理由</source>
        <translation>Reason</translation>
    </message>
    <message>
        <source>本日応答</source>
        <translation>Answered today</translation>
    </message>
    <message>
        <source>時刻</source>
        <translation>Time</translation>
    </message>
    <message>
        <source>最大待ち</source>
        <translation>Peak waiting</translation>
    </message>
    <message>
        <source>短時間</source>
        <translation>Short</translation>
    </message>
    <message>
        <source>日付</source>
        <translation>Date</translation>
    </message>
    <message>
        <source>会場</source>
        <translation>Venue</translation>
    </message>
    <message>
        <source>予約 / 定員</source>
        <translation>Booked / capacity</translation>
    </message>
    <message>
        <source>指定</source>
        <translation>Assigned</translation>
    </message>
    <message>
        <source>順番</source>
        <translation>Position</translation>
    </message>
    <message>
        <source>番号</source>
        <translation>No.</translation>
    </message>
    <message>
        <source>待ち時間</source>
        <translation>Wait</translation>
    </message>
</context>
<context>
    <name>board_thresholds</name>
    <message>
        <source>待ち呼：注意（件以上）</source>
        <translation>Waiting: caution from (calls)</translation>
    </message>
    <message>
        <source>待ち呼：警告（件以上）</source>
        <translation>Waiting: alert from (calls)</translation>
    </message>
    <message>
        <source>最長待ち：注意（秒以上）</source>
        <translation>Longest wait: caution from (s)</translation>
    </message>
    <message>
        <source>最長待ち：警告（秒以上）</source>
        <translation>Longest wait: alert from (s)</translation>
    </message>
    <message>
        <source>サービスレベル：注意（%未満）</source>
        <translation>Service level: caution below (%)</translation>
    </message>
    <message>
        <source>サービスレベル：警告（%未満）</source>
        <translation>Service level: alert below (%)</translation>
    </message>
    <message>
        <source>放棄率：注意（%以上）</source>
        <translation>Abandon rate: caution from (%)</translation>
    </message>
    <message>
        <source>放棄率：警告（%以上）</source>
        <translation>Abandon rate: alert from (%)</translation>
    </message>
</context>
<context>
    <name>call_header</name>
    <message>
        <source>予約なし</source>
        <translation>No booking</translation>
    </message>
    <message>
        <source>予約: {venue} {when}</source>
        <translation>Booking: {venue} {when}</translation>
    </message>
    <message>
        <source>移動支援: {needs}</source>
        <translation>Mobility support: {needs}</translation>
    </message>
    <message>
        <source>あり</source>
        <translation>yes</translation>
    </message>
    <message>
        <source>移動支援: 希望あり（意向）</source>
        <translation>Mobility support: wanted (intent)</translation>
    </message>
    <message>
        <source>前回 {day}: {what}</source>
        <translation>Last call {day}: {what}</translation>
    </message>
</context>
<context>
    <name>candidates</name>
    <message>
        <source>予約済</source>
        <translation>Booked</translation>
    </message>
    <message>
        <source>接種済</source>
        <translation>attended</translation>
    </message>
    <message>
        <source>移動支援</source>
        <translation>Mobility</translation>
    </message>
    <message>
        <source>通話歴あり</source>
        <translation>Called before</translation>
    </message>
    <message>
        <source>意向: {text}</source>
        <translation>Intent: {text}</translation>
    </message>
</context>
<context>
    <name>config_history</name>
    <message>
        <source>通話結果コード</source>
        <translation>Wrap-up codes</translation>
    </message>
    <message>
        <source>移動支援の選択肢</source>
        <translation>Mobility options</translation>
    </message>
    <message>
        <source>折り返しの再試行</source>
        <translation>Callback retries</translation>
    </message>
    <message>
        <source>意向確認の質問</source>
        <translation>Intent questions</translation>
    </message>
    <message>
        <source>変更履歴</source>
        <translation>History</translation>
    </message>
    <message>
        <source>版</source>
        <translation>Version</translation>
    </message>
    <message>
        <source>保存した人</source>
        <translation>Saved by</translation>
    </message>
    <message>
        <source>日時</source>
        <translation>Date and time</translation>
    </message>
    <message>
        <source>この版を編集欄に読み込む</source>
        <translation>Load this version into the editor</translation>
    </message>
</context>
<context>
    <name>failed_sends</name>
    <message>
        <source>予約</source>
        <translation>Booking</translation>
    </message>
    <message>
        <source>予約の変更</source>
        <translation>Booking change</translation>
    </message>
    <message>
        <source>予約の取消</source>
        <translation>Booking cancellation</translation>
    </message>
    <message>
        <source>来られない日の連絡</source>
        <translation>Cannot come on the day</translation>
    </message>
    <message>
        <source>移動支援</source>
        <translation>Mobility support</translation>
    </message>
    <message>
        <source>意向</source>
        <translation>Intent</translation>
    </message>
    <message>
        <source>通話記録</source>
        <translation>Call record</translation>
    </message>
    <message>
        <source>発信</source>
        <translation>Call</translation>
    </message>
    <message>
        <source>先に送った予約が登録されなかったため</source>
        <translation>The booking sent before it was not made</translation>
    </message>
    <message>
        <source>送信できなかった入力</source>
        <translation>Sends that failed</translation>
    </message>
    <message>
        <source>次の入力はサーバーに登録されていません。内容を確かめ、もう一度送るか破棄してください。</source>
        <translation>These were not stored by the server. Check each one, then send it again or discard it.</translation>
    </message>
    <message>
        <source>内容</source>
        <translation>What</translation>
    </message>
    <message>
        <source>理由</source>
        <translation>Why</translation>
    </message>
    <message>
        <source>もう一度送る</source>
        <translation>Send again</translation>
    </message>
    <message>
        <source>破棄</source>
        <translation>Discard</translation>
    </message>
    <message>
        <source>閉じる</source>
        <translation>Close</translation>
    </message>
    <message>
        <source>入力した内容</source>
        <translation>What was typed</translation>
    </message>
</context>
<context>
    <name>form_labels</name>
    <message>
        <source>車椅子</source>
        <translation>Wheelchair</translation>
    </message>
    <message>
        <source>付き添い</source>
        <translation>Companion</translation>
    </message>
    <message>
        <source>通話</source>
        <translation>Call</translation>
    </message>
    <message>
        <source>対象者が確定していません。通話の候補から確定してください。</source>
        <translation>No resident confirmed. Confirm one of the call&apos;s candidates first.</translation>
    </message>
    <message>
        <source>&#x3000;宛名番号 {no}</source>
        <translation>  Resident no. {no}</translation>
    </message>
    <message>
        <source>［未登録の予約］</source>
        <translation>[Booking not made] </translation>
    </message>
    <message>
        <source>迎え先 {address}</source>
        <translation>pickup {address}</translation>
    </message>
    <message>
        <source>メモ {notes}</source>
        <translation>notes {notes}</translation>
    </message>
    <message>
        <source>［未登録の移動支援］</source>
        <translation>[Mobility request not sent] </translation>
    </message>
    <message>
        <source>接種希望 {a}</source>
        <translation>wants vaccination: {a}</translation>
    </message>
    <message>
        <source>移動支援 {a}</source>
        <translation>mobility support: {a}</translation>
    </message>
    <message>
        <source>［未記録の意向確認］</source>
        <translation>[Intent not recorded] </translation>
    </message>
    <message>
        <source>生年月日を読めません。例: S17.4.1 / 昭和17年 / 1942</source>
        <translation>Cannot read the birth date. E.g. S17.4.1 / Shōwa 17 / 1942</translation>
    </message>
    <message>
        <source>電話番号は3桁以上入力してください。</source>
        <translation>Type at least 3 digits of the phone number.</translation>
    </message>
</context>
<context>
    <name>labels</name>
    <message>
        <source>非通知</source>
        <translation>Withheld</translation>
    </message>
    <message>
        <source>公衆電話</source>
        <translation>Payphone</translation>
    </message>
    <message>
        <source>表示圏外</source>
        <translation>Unavailable</translation>
    </message>
    <message>
        <source>番号不正</source>
        <translation>Invalid number</translation>
    </message>
    <message>
        <source>番号なし</source>
        <translation>No number</translation>
    </message>
    <message>
        <source>待機中</source>
        <translation>Queued</translation>
    </message>
    <message>
        <source>着信中</source>
        <translation>Ringing</translation>
    </message>
    <message>
        <source>通話中</source>
        <translation>In call</translation>
    </message>
    <message>
        <source>終了</source>
        <translation>Ended</translation>
    </message>
    <message>
        <source>カナ</source>
        <translation>Kana</translation>
    </message>
    <message>
        <source>氏名</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>{what}の一致 {score}%</source>
        <translation>{what} {score}%</translation>
    </message>
    <message>
        <source>転出</source>
        <translation>moved away</translation>
    </message>
    <message>
        <source>死亡</source>
        <translation>deceased</translation>
    </message>
    <message>
        <source>本人の携帯</source>
        <translation>own mobile</translation>
    </message>
    <message>
        <source>本人の固定電話</source>
        <translation>own landline</translation>
    </message>
    <message>
        <source>本人の電話</source>
        <translation>own phone</translation>
    </message>
    <message>
        <source>世帯の固定電話</source>
        <translation>household landline</translation>
    </message>
    <message>
        <source>世帯の携帯</source>
        <translation>household mobile</translation>
    </message>
    <message>
        <source>同じ世帯</source>
        <translation>same household</translation>
    </message>
    <message>
        <source>電話番号の一致</source>
        <translation>phone number</translation>
    </message>
    <message>
        <source>生年月日の一致</source>
        <translation>birth date</translation>
    </message>
    <message>
        <source>生年月日（月日入替）</source>
        <translation>birth date (day/month swapped)</translation>
    </message>
    <message>
        <source>生年月日（1年違い）</source>
        <translation>birth date (a year off)</translation>
    </message>
    <message>
        <source>住所の一致</source>
        <translation>address</translation>
    </message>
    <message>
        <source>はがき番号の一致</source>
        <translation>postcard number</translation>
    </message>
    <message>
        <source>明治</source>
        <translation>Meiji </translation>
    </message>
    <message>
        <source>大正</source>
        <translation>Taishō </translation>
    </message>
    <message>
        <source>昭和</source>
        <translation>Shōwa </translation>
    </message>
    <message>
        <source>平成</source>
        <translation>Heisei </translation>
    </message>
    <message>
        <source>令和</source>
        <translation>Reiwa </translation>
    </message>
    <message>
        <source>元</source>
        <translation>1</translation>
    </message>
    <message>
        <source>{era}{year}年{month}月{day}日</source>
        <translation>{era}{year}/{month}/{day}</translation>
    </message>
    <message>
        <source>不明</source>
        <translation>unknown</translation>
    </message>
    <message>
        <source>{age}歳</source>
        <translation>{age} y</translation>
    </message>
    <message>
        <source>男</source>
        <translation>M</translation>
    </message>
    <message>
        <source>女</source>
        <translation>F</translation>
    </message>
    <message>
        <source>月</source>
        <translation>Mon</translation>
    </message>
    <message>
        <source>火</source>
        <translation>Tue</translation>
    </message>
    <message>
        <source>水</source>
        <translation>Wed</translation>
    </message>
    <message>
        <source>木</source>
        <translation>Thu</translation>
    </message>
    <message>
        <source>金</source>
        <translation>Fri</translation>
    </message>
    <message>
        <source>土</source>
        <translation>Sat</translation>
    </message>
    <message>
        <source>日</source>
        <translation>Sun</translation>
    </message>
    <message>
        <source>{month}月{day}日({weekday})</source>
        <translation>{weekday} {month}/{day}</translation>
    </message>
    <message>
        <source>予約した</source>
        <translation>Booked</translation>
    </message>
    <message>
        <source>予約を変更した</source>
        <translation>Booking changed</translation>
    </message>
    <message>
        <source>予約を取り消した</source>
        <translation>Booking cancelled</translation>
    </message>
    <message>
        <source>意向確認</source>
        <translation>Intent confirmation</translation>
    </message>
    <message>
        <source>問い合わせのみ</source>
        <translation>Inquiry only</translation>
    </message>
    <message>
        <source>折り返しが必要</source>
        <translation>Call back needed</translation>
    </message>
    <message>
        <source>間違い電話</source>
        <translation>Wrong number</translation>
    </message>
    <message>
        <source>その他</source>
        <translation>Other</translation>
    </message>
    <message>
        <source>はがき</source>
        <translation>postcard</translation>
    </message>
    <message>
        <source>ウェブ</source>
        <translation>web</translation>
    </message>
    <message>
        <source>電話</source>
        <translation>Phone</translation>
    </message>
    <message>
        <source>書面</source>
        <translation>paper</translation>
    </message>
    <message>
        <source>割当</source>
        <translation>assigned</translation>
    </message>
    <message>
        <source>接種希望 {wants}・移動支援 {mobility}（{channel} {day}）</source>
        <translation>Vaccination {wants} · mobility support {mobility} ({channel} {day})</translation>
    </message>
    <message>
        <source>未回答</source>
        <translation>no answer</translation>
    </message>
    <message>
        <source>はい</source>
        <translation>yes</translation>
    </message>
    <message>
        <source>いいえ</source>
        <translation>no</translation>
    </message>
    <message>
        <source>予約済</source>
        <translation>Booked</translation>
    </message>
    <message>
        <source>取消</source>
        <translation>cancelled</translation>
    </message>
    <message>
        <source>接種済</source>
        <translation>attended</translation>
    </message>
    <message>
        <source>受付</source>
        <translation>open</translation>
    </message>
    <message>
        <source>手配済</source>
        <translation>arranged</translation>
    </message>
    <message>
        <source>完了</source>
        <translation>done</translation>
    </message>
    <message>
        <source>この枠は満員です。別の枠を選んでください。</source>
        <translation>This slot is full. Please choose another slot.</translation>
    </message>
    <message>
        <source>この枠はすでに始まっています。別の枠を選んでください。</source>
        <translation>This slot has already started. Please choose another slot.</translation>
    </message>
    <message>
        <source>この方はすでに予約があります。変更してください。</source>
        <translation>This person already has a booking. Change it instead.</translation>
    </message>
    <message>
        <source>この枠には送迎の空きがありません。送迎のある別の枠を選んでください。</source>
        <translation>This slot has no transport seat left. Choose another slot with transport.</translation>
    </message>
    <message>
        <source>見つかりません。</source>
        <translation>Not found.</translation>
    </message>
    <message>
        <source>ログインし直してください。</source>
        <translation>Please log in again.</translation>
    </message>
    <message>
        <source>ユーザー名またはパスワードが違います。</source>
        <translation>Wrong user name or password.</translation>
    </message>
    <message>
        <source>ログインの失敗が続いたため、しばらくログインできません。</source>
        <translation>Too many failed log-ins: logging in is blocked for a while.</translation>
    </message>
    <message>
        <source>権限がありません。</source>
        <translation>Not allowed.</translation>
    </message>
    <message>
        <source>この内線番号ではログインできません。内線番号を確かめてください。</source>
        <translation>You may not log in at this extension. Check the extension number.</translation>
    </message>
    <message>
        <source>入力に誤りがあります。</source>
        <translation>Some input is invalid.</translation>
    </message>
    <message>
        <source>ほかの変更と重なったため、受け付けられませんでした。もう一度お試しください。</source>
        <translation>Another change came at the same time, so this was not accepted. Please try again.</translation>
    </message>
    <message>
        <source>サーバーに接続できません。</source>
        <translation>Cannot reach the server.</translation>
    </message>
    <message>
        <source>先に送った予約が登録されなかったため、送信しませんでした。</source>
        <translation>Not sent, because the booking it depends on was not accepted.</translation>
    </message>
    <message>
        <source>先に送った予約が見つからないため、送信しませんでした。</source>
        <translation>Not sent: the booking it depends on is no longer there.</translation>
    </message>
    <message>
        <source>何度送っても受け付けられませんでした。</source>
        <translation>Refused after several attempts.</translation>
    </message>
    <message>
        <source>PBX（電話交換機）に接続されていないため、できませんでした。</source>
        <translation>Not done: the PBX (phone system) is not connected.</translation>
    </message>
    <message>
        <source>PBX（電話交換機）が受け付けませんでした。</source>
        <translation>The PBX (phone system) refused it.</translation>
    </message>
    <message>
        <source>サーバーが要求を理解できませんでした。</source>
        <translation>The server did not understand the request.</translation>
    </message>
    <message>
        <source>サーバーが準備中です。数秒後にもう一度お試しください。</source>
        <translation>The server is getting ready. Please try again in a few seconds.</translation>
    </message>
    <message>
        <source>サーバーが受け付けませんでした。</source>
        <translation>The server refused it.</translation>
    </message>
    <message>
        <source>会場名</source>
        <translation>Venue name</translation>
    </message>
    <message>
        <source>住所</source>
        <translation>Address</translation>
    </message>
    <message>
        <source>定員</source>
        <translation>Capacity</translation>
    </message>
    <message>
        <source>開始時刻</source>
        <translation>Start time</translation>
    </message>
    <message>
        <source>終了時刻</source>
        <translation>End time</translation>
    </message>
    <message>
        <source>1枠の長さ（分）</source>
        <translation>Slot length (min)</translation>
    </message>
    <message>
        <source>日付</source>
        <translation>Day</translation>
    </message>
    <message>
        <source>はがき番号</source>
        <translation>Postcard no.</translation>
    </message>
    <message>
        <source>接種希望</source>
        <translation>Wants vaccination</translation>
    </message>
    <message>
        <source>年齢区分</source>
        <translation>Age bands</translation>
    </message>
    <message>
        <source>定員は予約済みの {booked} 人より少なくできません。</source>
        <translation>Capacity cannot go below the {booked} people already booked.</translation>
    </message>
    <message>
        <source>{field}: 入力に誤りがあります。</source>
        <translation>{field}: invalid input.</translation>
    </message>
    <message>
        <source>予約のある枠は削除できません。定員を下げてください。</source>
        <translation>A slot with bookings cannot be deleted; lower its capacity instead.</translation>
    </message>
    <message>
        <source>同じ名前の会場がすでにあります。</source>
        <translation>A venue with this name already exists.</translation>
    </message>
    <message>
        <source>移動支援</source>
        <translation>Mobility</translation>
    </message>
    <message>
        <source>メモ</source>
        <translation>Notes</translation>
    </message>
    <message>
        <source>送信中…</source>
        <translation>Sending…</translation>
    </message>
    <message>
        <source>サーバーに接続できません。入力はそのまま残っています。</source>
        <translation>Cannot reach the server. What you typed is kept.</translation>
    </message>
    <message>
        <source>会場「{name}」を追加しました。</source>
        <translation>Venue “{name}” added.</translation>
    </message>
    <message>
        <source>会場「{name}」を保存しました。</source>
        <translation>Venue “{name}” saved.</translation>
    </message>
    <message>
        <source>会場「{name}」を有効に戻しました。</source>
        <translation>Venue “{name}” is active again.</translation>
    </message>
    <message>
        <source>会場「{name}」を無効にしました（新しい予約の会場一覧に出ません）。</source>
        <translation>Venue “{name}” deactivated (no longer offered for new bookings).</translation>
    </message>
    <message>
        <source>{n} 枠を追加しました（同じ時刻の {k} 枠はそのままです）。</source>
        <translation>{n} slots added ({k} already at those times left as they were).</translation>
    </message>
    <message>
        <source>定員を {capacity} にしました。</source>
        <translation>Capacity set to {capacity}.</translation>
    </message>
    <message>
        <source>枠を削除しました。</source>
        <translation>Slot deleted.</translation>
    </message>
    <message>
        <source>変更しました: 移動 {moved} 件、折り返しリスト {queued} 件。</source>
        <translation>Changed: {moved} moved, {queued} on the callback worklist.</translation>
    </message>
    <message>
        <source>はがき番号の確認数字が合いません。聞き間違いの可能性があります。もう一度読み上げてもらってください。</source>
        <translation>The postcard number&apos;s check digit does not match: a digit was probably misheard. Ask the caller to read it again.</translation>
    </message>
    <message>
        <source>はがき番号は12桁です（{n}桁入力されています）。</source>
        <translation>A postcard number has 12 digits ({n} typed).</translation>
    </message>
    <message>
        <source>はがき番号は数字だけです。</source>
        <translation>A postcard number has digits only.</translation>
    </message>
    <message>
        <source>このはがき番号の住民は台帳にいません。</source>
        <translation>No resident in the ledger has this postcard number.</translation>
    </message>
</context>
<context>
    <name>pause_dialog</name>
    <message>
        <source>休止する</source>
        <translation>Pause</translation>
    </message>
    <message>
        <source>キャンセル</source>
        <translation>Cancel</translation>
    </message>
</context>
<context>
    <name>reconfigure</name>
    <message>
        <source>定員超過</source>
        <translation>Over capacity</translation>
    </message>
    <message>
        <source>枠の中止</source>
        <translation>Slot closed</translation>
    </message>
    <message>
        <source>会場の中止</source>
        <translation>Venue closed</translation>
    </message>
    <message>
        <source>日程の変更</source>
        <translation>Day moved</translation>
    </message>
</context>
<context>
    <name>review</name>
    <message>
        <source>読めないファイル</source>
        <translation>Unreadable file</translation>
    </message>
    <message>
        <source>QRコードが読めない</source>
        <translation>QR code unreadable</translation>
    </message>
    <message>
        <source>QRコードの内容が不正</source>
        <translation>QR code holds something else</translation>
    </message>
    <message>
        <source>はがき番号のチェックディジット不一致</source>
        <translation>Postcard number check digit mismatch</translation>
    </message>
    <message>
        <source>該当する住民がいない</source>
        <translation>No resident with this number</translation>
    </message>
    <message>
        <source>位置合わせできない</source>
        <translation>Could not align the card</translation>
    </message>
    <message>
        <source>無記入の設問</source>
        <translation>Unanswered question</translation>
    </message>
    <message>
        <source>複数に印</source>
        <translation>Several boxes marked</translation>
    </message>
    <message>
        <source>薄い印・消し跡</source>
        <translation>Faint or erased mark</translation>
    </message>
    <message>
        <source>OCRの確信度が低い</source>
        <translation>OCR not confident</translation>
    </message>
    <message>
        <source>OCRの値が選択肢にない</source>
        <translation>OCR value not among the answers</translation>
    </message>
    <message>
        <source>自由記入欄に記入あり</source>
        <translation>Note written</translation>
    </message>
    <message>
        <source>以前の回答と食い違い</source>
        <translation>Contradicts an earlier answer</translation>
    </message>
    <message>
        <source>はい</source>
        <translation>Yes</translation>
    </message>
    <message>
        <source>いいえ</source>
        <translation>No</translation>
    </message>
    <message>
        <source>不要</source>
        <translation>None</translation>
    </message>
    <message>
        <source>送迎</source>
        <translation>Pick-up</translation>
    </message>
    <message>
        <source>車いす</source>
        <translation>Wheelchair</translation>
    </message>
    <message>
        <source>付き添い</source>
        <translation>Companion</translation>
    </message>
    <message>
        <source>午前</source>
        <translation>Morning</translation>
    </message>
    <message>
        <source>午後</source>
        <translation>Afternoon</translation>
    </message>
    <message>
        <source>どちらでも</source>
        <translation>Either</translation>
    </message>
    <message>
        <source>接種希望</source>
        <translation>Wants vaccination</translation>
    </message>
    <message>
        <source>移動支援</source>
        <translation>Mobility support</translation>
    </message>
    <message>
        <source>希望時間帯</source>
        <translation>Time of day</translation>
    </message>
    <message>
        <source>反映 {n}</source>
        <translation>applied {n}</translation>
    </message>
    <message>
        <source>確認へ {n}</source>
        <translation>to review {n}</translation>
    </message>
    <message>
        <source>（{why}）</source>
        <translation> ({why})</translation>
    </message>
    <message>
        <source>読込済み {n}（変更なし）</source>
        <translation>read before {n} (no change)</translation>
    </message>
    <message>
        <source>却下済み {n}</source>
        <translation>rejected before {n}</translation>
    </message>
    <message>
        <source>{pages} 枚を読み取り</source>
        <translation>{pages} pages read</translation>
    </message>
    <message>
        <source>ファイルを開けません: {name}</source>
        <translation>Cannot open the file: {name}</translation>
    </message>
    <message>
        <source>このサーバーにははがき読み取り機能（paper）がありません。</source>
        <translation>This server has no postcard reader (the paper extra).</translation>
    </message>
    <message>
        <source>PNG・JPEG・TIFF・PDF のスキャンだけを取り込めます。</source>
        <translation>Only PNG, JPEG, TIFF and PDF scans can be uploaded.</translation>
    </message>
</context>
<context>
    <name>shortcuts</name>
    <message>
        <source>先頭（選択中）の候補を確定</source>
        <translation>Confirm the top (selected) candidate</translation>
    </message>
    <message>
        <source>候補を選ぶ</source>
        <translation>Choose a candidate</translation>
    </message>
    <message>
        <source>番号の候補を確定</source>
        <translation>Confirm candidate by number</translation>
    </message>
    <message>
        <source>検索（氏名・生年月日・電話・住所）</source>
        <translation>Search (name, birth date, phone, address)</translation>
    </message>
    <message>
        <source>住民カード</source>
        <translation>Resident card</translation>
    </message>
    <message>
        <source>予約</source>
        <translation>Booking</translation>
    </message>
    <message>
        <source>移動支援</source>
        <translation>Mobility</translation>
    </message>
    <message>
        <source>通話メモ（後処理）</source>
        <translation>Wrap-up (disposition and notes)</translation>
    </message>
    <message>
        <source>監視ボード（スーパーバイザー）</source>
        <translation>Supervisor board (supervisors)</translation>
    </message>
    <message>
        <source>会場・枠の管理（スーパーバイザー・管理者）</source>
        <translation>Venues and slots (supervisors, admins)</translation>
    </message>
    <message>
        <source>はがき確認（スーパーバイザー・管理者）</source>
        <translation>Postcard review (supervisors and admins)</translation>
    </message>
    <message>
        <source>割り当て（スーパーバイザー・管理者）</source>
        <translation>Assignment (supervisors and admins)</translation>
    </message>
    <message>
        <source>はがき確認: 修正を反映して確定 / 却下</source>
        <translation>Postcard review: accept with the corrections / reject</translation>
    </message>
    <message>
        <source>はがき確認: 返送はがきのスキャンを取り込む</source>
        <translation>Postcard review: upload scans of returned postcards</translation>
    </message>
    <message>
        <source>監視ボード: 選択中のオペレーターを休止 / 再開</source>
        <translation>Board: pause / resume the selected operator</translation>
    </message>
    <message>
        <source>はがき番号（バーコード）で探す</source>
        <translation>Find by postcard number (barcode)</translation>
    </message>
    <message>
        <source>意向確認を記録する（住民カード）</source>
        <translation>Record intent (resident card)</translation>
    </message>
    <message>
        <source>会場: 追加 / 保存 / 無効・有効（会場・枠）</source>
        <translation>Venue: add / save / deactivate-reactivate (Venues &amp; slots)</translation>
    </message>
    <message>
        <source>枠: 定員を変更 / 削除（会場・枠）</source>
        <translation>Slot: change capacity / delete (Venues &amp; slots)</translation>
    </message>
    <message>
        <source>再読み込み（会場・枠）</source>
        <translation>Reload (Venues &amp; slots)</translation>
    </message>
    <message>
        <source>表示中の用紙を送信</source>
        <translation>Send the form on screen</translation>
    </message>
    <message>
        <source>予約を取り消す</source>
        <translation>Cancel booking</translation>
    </message>
    <message>
        <source>予約: この日は来られない（取消して候補を表示）</source>
        <translation>Booking: cannot come that day (cancel and show open slots)</translation>
    </message>
    <message>
        <source>検索を閉じて候補に戻る</source>
        <translation>Leave search, back to candidates</translation>
    </message>
    <message>
        <source>折り返しリスト</source>
        <translation>Callback worklist</translation>
    </message>
    <message>
        <source>折り返し: 次を取る / 番号に発信</source>
        <translation>Callbacks: take next / call the number</translation>
    </message>
    <message>
        <source>休止する（理由を選ぶ）</source>
        <translation>Pause (choose a reason)</translation>
    </message>
    <message>
        <source>受付可にする / 後処理を完了</source>
        <translation>Ready / finish after-call work</translation>
    </message>
    <message>
        <source>ショートカット一覧</source>
        <translation>Keyboard shortcuts</translation>
    </message>
</context>
<context>
    <name>worklist</name>
    <message>
        <source>予約枠の変更</source>
        <translation>Slot changed</translation>
    </message>
    <message>
        <source>来場なし</source>
        <translation>No-show</translation>
    </message>
    <message>
        <source>Web回答で連絡希望</source>
        <translation>Asked for contact on the web</translation>
    </message>
    <message>
        <source>折り返し希望</source>
        <translation>Asked for a callback</translation>
    </message>
    <message>
        <source>待ち切れず切断</source>
        <translation>Gave up waiting</translation>
    </message>
    <message>
        <source>枠の定員を減らした</source>
        <translation>slot capacity reduced</translation>
    </message>
    <message>
        <source>枠を中止した</source>
        <translation>slot cancelled</translation>
    </message>
    <message>
        <source>会場を閉じた</source>
        <translation>venue closed</translation>
    </message>
    <message>
        <source>日程を移した</source>
        <translation>day moved</translation>
    </message>
    <message>
        <source>日時の変更を希望</source>
        <translation>asks for another date or time</translation>
    </message>
    <message>
        <source>取消を希望</source>
        <translation>asks to cancel</translation>
    </message>
    <message>
        <source>2回目接種の日程調整</source>
        <translation>Second-dose date to arrange</translation>
    </message>
    <message>
        <source>その他の問い合わせ</source>
        <translation>other question</translation>
    </message>
    <message>
        <source>通話できた</source>
        <translation>Reached</translation>
    </message>
    <message>
        <source>不在</source>
        <translation>No answer</translation>
    </message>
    <message>
        <source>番号違い</source>
        <translation>Wrong number</translation>
    </message>
    <message>
        <source>後でかけ直す</source>
        <translation>Call later</translation>
    </message>
    <message>
        <source>%1「%2」</source>
        <translation>%1 “%2”</translation>
    </message>
    <message>
        <source>予約: %1</source>
        <translation>Appointment: %1</translation>
    </message>
    <message>
        <source>着信 %1</source>
        <translation>Called at %1</translation>
    </message>
    <message>
        <source>前回 %1: %2</source>
        <translation>Last try %1: %2</translation>
    </message>
</context>
</TS>
