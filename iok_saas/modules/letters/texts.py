"""The Polish wording of the credentials letter, apart from the layout code."""

TITLE = "Dane dostępowe do Internetowej Obsługi Kontrahenta"
DOCUMENT_META = "Nr dokumentu: {number}   ·   Data wydania: {issued}"
DATE_FORMAT = "%d.%m.%Y"
DATETIME_FORMAT = "%d.%m.%Y, godz. %H:%M"

RECIPIENT_LABEL = "Adresat"
UNITS_LABEL_ONE = "Lokal"
UNITS_LABEL_MANY = "Lokale"
UNITS_MORE = " oraz {count}\u00a0{word}"  # a no-break space keeps the number with its word
UNITS_MORE_FORMS = ("kolejny", "kolejne", "kolejnych")  # 1, 2–4, 5+ (Polish plural)
INTRO = (
    "Przekazujemy dane, dzięki którym zalogują się Państwo do serwisu Internetowej Obsługi "
    "Kontrahenta (IOK). Serwis pozwala przez internet sprawdzać informacje i rozliczenia "
    "dotyczące lokalu."
)

PORTAL_LABEL = "Adres serwisu"
LOGIN_LABEL = "Identyfikator (login)"
PASSWORD_LABEL = "Hasło początkowe"  # noqa: S105 - a caption, not a secret
SPELLED_LABEL = "Hasło znak po znaku"
CHARACTER_KINDS = {"upper": "wielka", "lower": "mała", "digit": "cyfra", "other": "znak"}

VALIDITY = "Hasło początkowe jest jednorazowe i ważne do {date}."
VALIDITY_NOTE = (
    "Działa tylko przy pierwszym logowaniu; potem logują się Państwo własnym hasłem. "
    "Po upływie terminu prosimy zgłosić się do biura po nowe dane."
)

STEPS_HEADING = "Pierwsze logowanie – krok po kroku"
STEPS = (
    "Otworzyć w przeglądarce internetowej adres {portal_url}.",
    "Wpisać identyfikator i hasło początkowe – z zachowaniem wielkości liter.",
    "Ustalić własne hasło zgodne z zasadami podanymi niżej; hasło początkowe przestanie działać.",
    "Przeczytać i zaakceptować zasady korzystania z serwisu. Konto jest gotowe do użycia.",
)

RULES_HEADING = "Własne hasło musi spełniać następujące warunki"

SECURITY_HEADING = "Bezpieczeństwo"
SECURITY_NOTES = (
    "Pismo prosimy zachować: przy odzyskiwaniu dostępu do konta biuro sprawdzi jego numer.",
    "Hasła nie wolno nikomu przekazywać ani zapisywać w miejscu widocznym dla innych.",
    "Nasi pracownicy nigdy nie proszą o podanie hasła – ani telefonicznie, ani e-mailem, "
    "ani osobiście.",
    "Jeżeli pismo zginęło albo ktoś inny mógł poznać hasło, prosimy niezwłocznie "
    "skontaktować się z biurem (dane kontaktowe w nagłówku pisma).",
)

CUT_HERE = "✂  tu odciąć – część dla biura"
RECEIPT_HEADING = "Potwierdzenie odbioru"
RECEIPT_META = "Nr dokumentu: {number}   ·   {name}   ·   login: {login}"
RECEIPT_STATEMENT = "Potwierdzam odbiór danych dostępowych do Internetowej Obsługi Kontrahenta."
RECEIPT_DATE = "Data odbioru"
RECEIPT_SIGNATURE = "Czytelny podpis odbierającego"
RECEIPT_ID_CHECKED = "Dokument tożsamości sprawdzony przez pracownika (rodzaj)"
RECEIPT_STAFF_SIGNATURE = "Podpis pracownika"

PDF_CREATOR = "IOK SaaS"
