"""A small Arabic news site on 127.0.0.1 that answers badly (issue 27, Deliver 4): soft-404s and truncated answers.

Eight real articles, six under `/2021/10/DD/<slug>/` and two under `/2021/11/<slug>.html` (two URL patterns), all in
one long chrome (header, menu, a sidebar of latest news, footer) that the site's "not found" page wears too. Any path
the site does not have is answered 200 with that page, titled "الصفحة غير موجودة"; the sitemap lists three such
URLs under dated paths. And three answers that come short:

- `/2021/10/05/nisf/`: its first answer declares a Content-Length half its size (and sends it all); later ones whole;
- `/2021/10/06/maqtu/`: always stops mid-document (the first half of its HTML, the Content-Length saying so);
- `/2021/10/07/naqis/`: its first answer declares 1,000 bytes more than it sends; later ones whole.

Every request path is kept in order (`site.paths`); `site.extra` adds URLs to the sitemap (a later crawl).
"""

from __future__ import annotations

from collections import Counter
from http.server import BaseHTTPRequestHandler
from urllib.parse import unquote, urlsplit

from tests.loopback_site import LoopbackSite

NOT_FOUND_TITLE = "الصفحة غير موجودة"
SECTIONS = ("سياسة", "اقتصاد", "ثقافة", "رياضة", "مجتمع", "هجرة", "تعليم", "صحة")
LATEST = [f"عنوان الخبر الأخير رقم {i} عن {s} في مدينة {c}" for i, (s, c) in enumerate(
    zip(SECTIONS, ("روما", "ميلانو", "نابولي", "تورينو", "باليرمو", "جنوة", "بولونيا", "فلورنسا"), strict=True))]
HEADER = ("<header><p>الإيطالية نيوز: أخبار إيطاليا والجاليات العربية فيها، يوما بيوم، من مراسلينا في المدن الكبرى "
          "والصغرى</p><nav>" + "".join(f'<a href="/category/{i}/">{s}</a> ' for i, s in enumerate(SECTIONS))
          + "</nav></header>")
SIDEBAR = ("<aside><h3>آخر الأخبار</h3><ul>" + "".join(f"<li>{t}</li>" for t in LATEST) + "</ul><h3>من نحن</h3>"
           "<p>موقع إخباري مستقل يكتبه صحفيون عرب مقيمون في إيطاليا، ينقل الأخبار المحلية والقرارات الحكومية التي تهم "
           "المقيمين والطلاب والعمال، ويشرح القوانين الجديدة بلغة بسيطة، ويجيب عن أسئلة القراء كل أسبوع في باب "
           "خاص، ويتابع أخبار الرياضة والثقافة والفنون في المدن الإيطالية.</p></aside>")
FOOTER = ("<footer><p>جميع الحقوق محفوظة للإيطالية نيوز. للتواصل مع هيئة التحرير اكتبوا إلينا عبر صفحة الاتصال، "
          "ولا يجوز نقل المحتوى دون إذن مكتوب.</p></footer>")
# the site's "not found" page's own words: 32 of them, as the soft-404s had
NOT_FOUND_TEXT = ("عذرا، لم نعثر على الصفحة التي تبحث عنها. ربما حذفت أو تغير عنوانها أو كتب الرابط خطأ. يمكنك العودة "
                  "إلى الصفحة الرئيسية أو استعمال البحث للوصول إلى الأخبار التي تهمك في أقسام الموقع المختلفة اليوم.")

# (path, title, paragraphs): real articles, in the site's words
ARTICLES = [
    ("/2021/10/01/madaris/", "الحكومة تعلن خطة لترميم المدارس القديمة",
     ["أعلنت الحكومة الإيطالية اليوم خطة لترميم المدارس القديمة في البلدات الجبلية قبل حلول الشتاء المقبل.",
      "وقال وزير التعليم إن الأشغال ستبدأ في مئة مدرسة خلال الشهر القادم بتمويل من صندوق الإنعاش الأوروبي.",
      "ورحبت نقابات المعلمين بالقرار، لكنها طالبت بزيادة عدد الموظفين في المدارس الصغيرة."]),
    ("/2021/10/02/qitarat/", "إضراب يوقف القطارات الإقليمية في الشمال",
     ["توقفت القطارات الإقليمية في لومبارديا صباح الجمعة بسبب إضراب دعت إليه نقابات عمال السكك الحديدية.",
      "وانتظر آلاف المسافرين في المحطات ساعات طويلة، فيما لجأ آخرون إلى الحافلات وسيارات الأجرة.",
      "وتطالب النقابات بتحسين شروط السلامة في القطارات الليلية ورفع أجور العاملين في الصيانة."]),
    ("/2021/10/03/zaytun/", "موسم الزيتون في بوليا يبشر بإنتاج وفير",
     ["يتوقع مزارعو بوليا موسما وفيرا لقطف الزيتون بعد أمطار الربيع الغزيرة وصيف معتدل الحرارة.",
      "ويعمل في الحقول هذا العام عدد كبير من العمال الموسميين القادمين من شمال أفريقيا وشرق أوروبا."]),
    ("/2021/10/04/qasir/", "افتتاح مكتبة عربية في تورينو",
     ["افتتحت جمعية ثقافية مكتبة عربية صغيرة في حي سان سالفاريو تضم كتبا للأطفال ودروسا مسائية في الخط."]),
    ("/2021/10/05/nisf/", "البلدية توسع شبكة الدراجات الهوائية",
     ["قررت بلدية ميلانو توسيع شبكة مسارات الدراجات الهوائية لتربط الأحياء الشرقية بوسط المدينة.",
      "وتشمل الخطة أربعين كيلومترا من المسارات المحمية وخمسين محطة جديدة لتأجير الدراجات.",
      "ويرى سكان الضواحي أن المشروع سيختصر رحلاتهم اليومية إلى العمل ويخفف ازدحام الطرق.",
      "وستنشر البلدية خرائط المسارات الجديدة على موقعها قبل نهاية العام لتلقي ملاحظات المواطنين."]),
    ("/2021/10/07/naqis/", "مهرجان السينما في البندقية يكرم مخرجة تونسية",
     ["كرم مهرجان البندقية السينمائي مخرجة تونسية شابة عن فيلمها الأول الذي يروي قصة عائلة مهاجرة.",
      "وصفق الجمهور طويلا بعد العرض، وقالت المخرجة إن الفيلم مهدى إلى أمها التي عبرت البحر وحدها."]),
    ("/2021/11/tataeum.html", "حملة تطعيم جديدة قبل الشتاء",
     ["أطلقت وزارة الصحة حملة تطعيم ضد الإنفلونزا الموسمية تستهدف كبار السن والعاملين في المستشفيات.",
      "ويمكن للمقيمين الأجانب الحصول على اللقاح مجانا بعد الحجز لدى طبيب العائلة أو في الصيدليات."]),
    ("/2021/11/mina.html", "ميناء جنوة يسجل رقما قياسيا في الحاويات",
     ["سجل ميناء جنوة رقما قياسيا في عدد الحاويات التي مرت عبره خلال الربع الثالث من السنة.",
      "وعزت إدارة الميناء النمو إلى خطوط بحرية جديدة تربط المدينة بموانئ البحر الأبيض المتوسط."]),
]
TRUNCATED = ("/2021/10/06/maqtu/", "أسعار الطاقة ترتفع مرة أخرى",
             ["ارتفعت أسعار الكهرباء والغاز للمرة الثالثة هذا العام، وتخشى العائلات فواتير الشتاء.",
              "وتدرس الحكومة دعما مؤقتا للأسر ذات الدخل المحدود وللمؤسسات الصغيرة التي تستهلك الكثير من الطاقة.",
              "وقال خبراء إن الأسعار قد تبقى مرتفعة حتى الربيع المقبل بسبب نقص الإمدادات في الأسواق الأوروبية."])
SOFT_404 = ["/2021/10/09/100%-sure/", "/2021/10/12/khabar-qadim/", "/2021/11/la-wujud.html"]
HALF_LENGTH, SHORT_SEND = "/2021/10/05/nisf/", "/2021/10/07/naqis/"
ENDING = "وهذه خاتمة الخبر كما نشر كاملا."  # the last sentence of every article: a whole page has it


def page(title: str, main: str) -> bytes:
    return (f'<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>{title}</title></head>'
            f"<body>{HEADER}<div class=\"wrap\"><div class=\"main\">{main}</div>{SIDEBAR}</div>{FOOTER}"
            "</body></html>").encode()


def article(path: str, title: str, paragraphs: list[str]) -> bytes:
    day = path.split("/")[3] if path.count("/") > 4 else "15"
    date = f"{path[1:8]}-{day}"
    text = "".join(f"<p>{p}</p>" for p in [*paragraphs, ENDING])
    return page(title, f'<script type="application/ld+json">{{"@type": "NewsArticle", "headline": "{title}", '
                       f'"datePublished": "{date}T10:00:00+02:00"}}</script><article><h1>{title}</h1>'
                       f'<time datetime="{date}">{date}</time>{text}</article>')


def not_found(path: str) -> bytes:
    slug = unquote(path).rstrip("/").rsplit("/", 1)[-1].rsplit(".", 1)[0].replace("-", " ")
    return page(NOT_FOUND_TITLE, f"<h1>{NOT_FOUND_TITLE}</h1><p>{NOT_FOUND_TEXT}</p><p>بحثت عن: {slug}</p>")


class AnswersSite(LoopbackSite):
    def __init__(self):
        super().__init__()
        self.extra: list[tuple[str, str, list[str]]] = []  # articles a later crawl finds in the sitemap
        self.extra_soft_404: list[str] = []
        self.asked = Counter()

    def articles(self) -> list[tuple[str, str, list[str]]]:
        return ARTICLES + self.extra

    def probes(self) -> list[str]:
        with self._lock:
            return [p for p in self.paths if "arshif-probe-" in p]

    def answer(self, h: BaseHTTPRequestHandler) -> None:
        path = urlsplit(h.path).path
        with self._lock:
            self.asked[path] += 1
            times = self.asked[path]
        known = {p: (t, ps) for p, t, ps in [*self.articles(), TRUNCATED]}
        if path == "/robots.txt":
            return self.send(h, f"User-agent: *\nAllow: /\nSitemap: {self.url}/sitemap.xml\n".encode(), "text/plain")
        if path == "/sitemap.xml":
            listed = [p for p, _, _ in self.articles()] + [TRUNCATED[0]] + SOFT_404 + self.extra_soft_404
            urls = "".join(f"<url><loc>{self.url}{p}</loc></url>" for p in listed)
            return self.send(h, ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/'
                                 f'schemas/sitemap/0.9">{urls}</urlset>').encode(), "application/xml")
        if path == "/feed/":
            return self.send(h, b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>',
                             "application/rss+xml")
        if path == "/":
            links = "".join(f'<li><a href="{p}">{t}</a></li>' for p, t, _ in self.articles())
            return self.send(h, page("الإيطالية نيوز", f"<ul>{links}</ul>").replace(
                b"</head>", b'<link rel="alternate" type="application/rss+xml" href="/feed/"></head>'))
        if path not in known:
            return self.send(h, not_found(path))
        body = article(path, *known[path])
        if path == TRUNCATED[0]:
            body = body[:len(body) // 2]
            return self.send(h, body)
        if path == HALF_LENGTH and times == 1:
            return self.send(h, body, declared=len(body) // 2)
        if path == SHORT_SEND and times == 1:
            return self.send(h, body, declared=len(body) + 1000)
        return self.send(h, body)
