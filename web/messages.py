"""The pages' text in zh-CN (the default) and en: one catalog, used by the templates and sent to the scripts."""

from __future__ import annotations

from typing import Final

DEFAULT: Final = "zh-CN"
LANGUAGES: Final = ("zh-CN", "en")

CATALOG: Final[dict[str, dict[str, str]]] = {
    "zh-CN": {
        "app.title": "课后服务",
        "lang.switch": "English",
        "signin.title": "开发登录",
        "signin.lead": "仅用于开发与演示：选择一位演示人员，本页签发其令牌（生产环境通过学区统一身份认证登录）。",
        "signin.role": "角色",
        "signin.school": "学校编号",
        "signin.subject": "人员或设备编号",
        "signin.submit": "登录",
        "signin.demo": "演示人员",
        "signin.refused": "生产环境不提供开发登录，请通过学区统一身份认证登录。",
        "signin.done": "已登录，正在打开页面…",
        "role.kiosk": "门口签到机",
        "role.guardian": "家长",
        "kiosk.title": "签到机",
        "kiosk.scan": "刷卡或扫码",
        "kiosk.scan.hint": "扫码枪输入编号后按回车",
        "kiosk.submit": "签到",
        "kiosk.pending": "待上传",
        "kiosk.online": "在线",
        "kiosk.offline": "离线：签到已保存在本机，联网后自动上传",
        "kiosk.ok": "签到成功",
        "kiosk.duplicate": "已签到过",
        "kiosk.refused": "签到被拒绝",
        "kiosk.queued": "已保存，待上传",
        "kiosk.device": "设备",
        "kiosk.roster": "点选姓名签到",
        "kiosk.roster.empty": "本机没有名单：请刷卡或扫码",
        "kiosk.mode": "模式",
        "kiosk.mode.in": "签到",
        "kiosk.mode.out": "签退",
        "kiosk.out.next": "请刷接送人的卡",
        "kiosk.out.ok": "签退成功",
        "kiosk.out.refused": "签退被拒绝",
        "kiosk.out.offline": "离线时无法核验接送人：请联系值班老师",
        "kiosk.out.conflict": "今天已签退",
        "refusal.restricted": "此人被禁止接走该学生（监护限制），已紧急通知学校",
        "refusal.not_authorised": "此人不在该学生的授权接送名单上",
        "refusal.no_walk_permission": "该学生没有独自离校的许可",
        "guardian.title": "家长",
        "guardian.children": "我的孩子",
        "guardian.alerts": "实时提醒",
        "guardian.none": "暂无提醒",
        "guardian.live": "实时连接中",
        "guardian.reconnecting": "连接中断，正在重连…",
        "guardian.urgent": "紧急",
        "signout": "退出",
        "placeholder.title": "建设中",
        "placeholder.lead": "此页面尚未完成。",
        "error.auth": "登录已失效，请重新登录",
    },
    "en": {
        "app.title": "After-school service",
        "lang.switch": "中文",
        "signin.title": "Development sign-in",
        "signin.lead": "Development and demo only: pick a demo person and this page mints their token "
        "(in production you sign in through the district's identity provider).",
        "signin.role": "Role",
        "signin.school": "School id",
        "signin.subject": "Person or device id",
        "signin.submit": "Sign in",
        "signin.demo": "Demo people",
        "signin.refused": "There is no development sign-in in production: sign in through the district's identity "
        "provider.",
        "signin.done": "Signed in, opening the page…",
        "role.kiosk": "Gate kiosk",
        "role.guardian": "Guardian",
        "kiosk.title": "Kiosk",
        "kiosk.scan": "Card or QR code",
        "kiosk.scan.hint": "The scanner types the code and presses Enter",
        "kiosk.submit": "Check in",
        "kiosk.pending": "Pending upload",
        "kiosk.online": "Online",
        "kiosk.offline": "Offline: check-ins are kept on this device and upload when it reconnects",
        "kiosk.ok": "Checked in",
        "kiosk.duplicate": "Already checked in",
        "kiosk.refused": "Check-in refused",
        "kiosk.queued": "Saved, waiting to upload",
        "kiosk.device": "Device",
        "kiosk.roster": "Tap a name to check in",
        "kiosk.roster.empty": "No roster on this device: scan a card or QR code",
        "kiosk.mode": "Mode",
        "kiosk.mode.in": "Check in",
        "kiosk.mode.out": "Check out",
        "kiosk.out.next": "Now scan the collecting adult's card",
        "kiosk.out.ok": "Checked out",
        "kiosk.out.refused": "Check-out refused",
        "kiosk.out.offline": "Offline, the collecting adult cannot be verified: call the teacher on duty",
        "kiosk.out.conflict": "Already checked out today",
        "refusal.restricted": "This person is restricted from collecting the child (custody order); the school is "
        "alerted",
        "refusal.not_authorised": "This person is not on the child's authorised pickup list",
        "refusal.no_walk_permission": "The child has no permission to leave alone",
        "guardian.title": "Guardian",
        "guardian.children": "My children",
        "guardian.alerts": "Live alerts",
        "guardian.none": "No alerts yet",
        "guardian.live": "Live",
        "guardian.reconnecting": "Connection lost, reconnecting…",
        "guardian.urgent": "Urgent",
        "signout": "Sign out",
        "placeholder.title": "Coming soon",
        "placeholder.lead": "This page is not built yet.",
        "error.auth": "Your sign-in has expired: please sign in again",
    },
}


def language(requested: str | None) -> str:
    """The page's language: `?lang=en` (or `zh`), else zh-CN."""
    if requested and requested.lower().startswith("en"):
        return "en"
    return DEFAULT


def messages(lang: str) -> dict[str, str]:
    """Every message of a language (a key missing in en falls back to zh-CN)."""
    return {**CATALOG[DEFAULT], **CATALOG.get(lang, {})}
