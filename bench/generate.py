#!/usr/bin/env python3
"""Seeded, deterministic, streaming generator of a messy legacy-CRM export.

Writes the source files the way an old Polish CRM and its satellites would
export them

    companies.csv     cp1250, ';', CRLF      (firma_id, nazwa, nip, ...)
    contacts.csv      UTF-8 with BOM, ',', LF (contact_id, first_name, ...)
    deals.csv         UTF-8, ',', LF          (deal_id, title, amount, ...,
                                               owner_id)
      or deals.xml    UTF-8 XML export of the same records (--deals-format xml)
    owners.xlsx       sheet "Users": title row, empty row, header at row 3
    activities.ndjson one JSON object per line, nested "meta", mixed types

plus the ground truth of every defect it injected, in OUT_DIR/truth/:

    duplicates.csv  entity,source_id,cluster_id,kind
    orphans.csv     entity,source_id,column,missing_id
    invalid.csv     entity,source_id,row,column,value,reason
    summary.json    row counts, defect counts, seed, N

Duplicate kinds: ``nip_format`` (company: same NIP written another way, name
slightly varied), ``email_case`` (contact: same e-mail in other case and/or
with surrounding spaces), ``fuzzy`` (contact: name typo or dropped diacritic,
other e-mail domain or none).  Every member of a cluster, the original
included, has one row; cluster_id is the original's id.  Invalid-row reasons
are ferry's reject rule names (``missing_source_id``, ``invalid_decimal``).
Each row carries at most one defect, and e-mails of distinct people differ
after trim + lower-case.  Orphans of the later files: ``deal.owner_id`` (a
user deleted from the CRM) and ``activity.deal_id``; one owner has an invalid
e-mail (``invalid_email``).  Nothing references a row the truth lists as
invalid, and activities hang only off defect-free deals, so a row a migration
rejects never strands a reference the truth does not mention.

With ``--people`` (``generate(..., people=True)``) contacts.csv gains the
columns street and postcode after notes, and truth/families.csv
(source_id,relative_id) lists the relatives it injected: people who share an
earlier person's address and surname but are not them (not duplicates).  Some
duplicates then carry a changed surname (summary.json, "people").

Usage:  python bench/generate.py OUT_DIR --contacts N [--seed S]
                                 [--deals-format {csv,xml}] [--people]

Each file has its own random stream; the later additions (owner_id, owners,
activities) draw from streams of their own, so they never shift a byte of the
files that existed before them.

Everything is drawn from ``random.Random`` instances seeded from the seed
(string seeds are hashed with SHA-512 by ``random``, not with ``hash()``), no
set or dict iteration order reaches the output, and no clock is read, so the
same seed and N give byte-identical files.  Rows are written as they are made;
the only per-row state kept is a few compact arrays (company of each contact,
first contact of each company, country of each company, duplicate flags), the
pending duplicates that are yet to be written, and a bounded counter of e-mail
local parts.

Row numbers in the truth (``row``) count data records (the header is not a
record), starting at 1, as the csv module reads them; a note with an embedded
newline is one record, not two lines.  In owners.xlsx record 1 is sheet row 4
(below the title, the empty row and the header); in deals.xml record k is the
k-th <deal>, the same deal as data record k of deals.csv.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import math
import sys
import time
import zipfile
from array import array
from bisect import bisect_right
from datetime import date, datetime, timedelta
from pathlib import Path
from random import Random
from xml.sax.saxutils import escape, quoteattr

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

DEFAULT_SEED = 2026

# --------------------------------------------------------------------------
# headers (the example spec is written against these, keep them exact)
# --------------------------------------------------------------------------
COMPANY_HEADER = ["firma_id", "nazwa", "nip", "miasto", "kraj", "telefon",
                  "firma_nadrzedna", "data_utworzenia", "status"]
CONTACT_HEADER = ["contact_id", "first_name", "last_name", "email", "phone",
                  "company_id", "reports_to", "created_at", "city", "notes"]
# owner_id is last, so the columns before it keep the bytes they had before it.
DEAL_HEADER = ["deal_id", "title", "amount", "currency", "stage",
               "company_id", "contact_id", "close_date", "owner_id"]
OWNER_HEADER = ["user_id", "full_name", "email", "region", "active", "hired",
                "quota"]

FIRST_COMPANY_ID = 1001
FIRST_CONTACT_ID = 50001
FIRST_DEAL_ID = 900001
FIRST_OWNER_ID = 101
FIRST_ACTIVITY_ID = 3_000_001

# The moment every export claims to have been made (XML header, xlsx title and
# document properties, zip entry times).  A constant, so output is repeatable.
EXPORTED_AT = datetime(2025, 12, 31, 18, 30, 0)

# --------------------------------------------------------------------------
# rates (fractions of rows of the file concerned)
# --------------------------------------------------------------------------
P_COMPANY_PARENT = 0.05        # firma_nadrzedna -> an earlier firma_id
P_ORPHAN = 0.005               # per reference column
P_COMPANY_DUP_ROWS = 0.03      # duplicate company rows / all company rows
P_CONTACT_DUP_ROWS = 0.05      # duplicate contact rows / all contact rows
P_EMAIL_CASE = 0.55            # share of contact clusters that are email_case
P_TRIPLE = 0.10                # share of clusters with two duplicates
P_INVALID_CONTACT = 0.002      # empty contact_id
P_INVALID_DEAL = 0.003         # non-numeric amount
P_REPORTS_TO = 0.10            # of all contacts
P_CONTACT_NO_COMPANY = 0.08
P_CONTACT_NO_EMAIL = 0.03
P_CONTACT_NO_PHONE = 0.05
P_DEAL_NO_CONTACT = 0.10
P_NOTE = 0.12
P_NOTE_NEWLINE = 0.25          # of the notes
P_DEAL_ORPHAN_OWNER = 0.01     # owner_id of a user deleted from the CRM
P_DEAL_NO_OWNER = 0.005        # empty owner_id
P_ACTIVITY_ORPHAN_DEAL = 0.01  # deal_id of a deal not in the export
P_OWNER_INACTIVE = 0.2

# Guaranteed minimum of each defect, at every size (so the 300-contact example
# still exercises everything).  Units: clusters for duplicates, rows otherwise.
MIN = {
    "company_dup": 4,
    "email_case": 8,
    "fuzzy": 6,
    "orphan_parent": 3,
    "orphan_contact_company": 3,
    "orphan_deal_company": 3,
    "orphan_deal_contact": 3,
    "invalid_contact": 2,
    "invalid_deal": 3,
    "company_parent": 3,
    "reports_to": 5,
    "note_newline": 2,
    "contact_ref_dup_company": 3,
    "deal_ref_dup_company": 3,
    "deal_ref_dup_contact": 3,
    "orphan_deal_owner": 3,
    "deal_no_owner": 3,
    "orphan_activity_deal": 3,
}

# Truth reasons use the names of ferry's reject rules, so a test can compare
# the truth with ``_ferry.rejects`` directly.
REASON_EMPTY_ID = "missing_source_id"
REASON_BAD_DECIMAL = "invalid_decimal"
REASON_BAD_EMAIL = "invalid_email"

# How far after its original a duplicate may be written (rows).
DUP_WINDOW = 20_000

# --------------------------------------------------------------------------
# pools
# --------------------------------------------------------------------------
PL, DE, FR, UA = 0, 1, 2, 3
COUNTRY_CODE = ("PL", "DE", "FR", "UA")
COMPANY_COUNTRY_CUM = (0.62, 0.76, 0.88, 1.0)   # PL, DE, FR, UA
CONTACT_LANG_CUM = (0.55, 0.68, 0.80, 1.0)      # PL, DE, FR, UA

# city, area code (landline)
CITIES = (
    (("Warszawa", "22"), ("Warszawa", "22"), ("Kraków", "12"), ("Łódź", "42"),
     ("Gdańsk", "58"), ("Wrocław", "71"), ("Poznań", "61"), ("Szczecin", "91"),
     ("Lublin", "81"), ("Katowice", "32"), ("Białystok", "85"),
     ("Bydgoszcz", "52"), ("Rzeszów", "17"), ("Toruń", "56"), ("Kielce", "41"),
     ("Olsztyn", "89"), ("Zielona Góra", "68"), ("Częstochowa", "34")),
    (("Berlin", "30"), ("München", "89"), ("Köln", "221"), ("Hamburg", "40"),
     ("Frankfurt am Main", "69"), ("Düsseldorf", "211"), ("Stuttgart", "711"),
     ("Leipzig", "341")),
    (("Paris", "1"), ("Paris", "1"), ("Lyon", "4"), ("Marseille", "4"),
     ("Toulouse", "5"), ("Lille", "3"), ("Nantes", "2"), ("Strasbourg", "3")),
    (("Kyiv", "44"), ("Kyiv", "44"), ("Lviv", "32"), ("Kharkiv", "57"),
     ("Odesa", "48"), ("Dnipro", "56"), ("Zaporizhzhia", "61"),
     ("Vinnytsia", "432"), ("Ivano-Frankivsk", "342"), ("Chernivtsi", "372")),
)

PL_MALE = ("Jan", "Piotr", "Krzysztof", "Andrzej", "Tomasz", "Paweł", "Michał",
           "Marcin", "Grzegorz", "Józef", "Łukasz", "Adam", "Zbigniew", "Jerzy",
           "Tadeusz", "Mateusz", "Dariusz", "Mariusz", "Wojciech", "Ryszard",
           "Kazimierz", "Henryk", "Marek", "Jakub", "Szymon", "Bartłomiej",
           "Maciej", "Przemysław", "Sławomir", "Stanisław")
PL_FEMALE = ("Anna", "Maria", "Katarzyna", "Małgorzata", "Agnieszka", "Barbara",
             "Ewa", "Krystyna", "Elżbieta", "Zofia", "Joanna", "Magdalena",
             "Monika", "Aleksandra", "Dorota", "Beata", "Jadwiga", "Grażyna",
             "Halina", "Urszula", "Renata", "Iwona", "Bożena", "Natalia",
             "Justyna", "Weronika", "Żaneta", "Agata", "Teresa", "Danuta")
PL_LAST = ("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński",
           "Lewandowski", "Zieliński", "Szymański", "Woźniak", "Dąbrowski",
           "Kozłowski", "Jankowski", "Mazur", "Wojciechowski", "Kwiatkowski",
           "Krawczyk", "Kaczmarek", "Piotrowski", "Grabowski", "Zając",
           "Pawłowski", "Michalski", "Król", "Wieczorek", "Jabłoński", "Wróbel",
           "Nowakowski", "Majewski", "Olszewski", "Stępień", "Malinowski",
           "Jaworski", "Adamczyk", "Dudek", "Nowicki", "Pawlak", "Górski",
           "Witkowski", "Walczak", "Sikora", "Baran", "Rutkowski", "Michalak",
           "Szewczyk", "Ostrowski", "Tomaszewski", "Pietrzak", "Zalewski",
           "Wróblewski", "Brzęczyszczykiewicz", "Łęcki", "Gałązka",
           "Żółkiewski", "Chrząszcz", "Ślęzak", "Źrebiec", "Bieńkowski")
UA_MALE = ("Андрій", "Олександр", "Дмитро", "Сергій", "Володимир", "Микола",
           "Іван", "Василь", "Петро", "Юрій", "Тарас", "Богдан", "Олег",
           "Максим", "Віталій", "Ярослав", "Михайло", "Степан", "Євген", "Ігор")
UA_FEMALE = ("Олена", "Оксана", "Наталія", "Ірина", "Тетяна", "Світлана", "Юлія",
             "Марія", "Ганна", "Людмила", "Катерина", "Галина", "Вікторія",
             "Ольга", "Софія", "Дарина", "Христина", "Зоряна", "Леся", "Євгенія")
UA_LAST = ("Шевченко", "Коваленко", "Бондаренко", "Ткаченко", "Кравченко",
           "Олійник", "Шевчук", "Поліщук", "Бойко", "Ткачук", "Мельник",
           "Савченко", "Руденко", "Мороз", "Лисенко", "Марченко", "Петренко",
           "Гончаренко", "Павленко", "Кузьменко", "Левченко", "Харченко",
           "Карпенко", "Литвиненко", "Романюк", "Гнатюк", "Сидоренко",
           "Мельничук", "Пономаренко", "Костенко", "Яковенко", "Зінченко",
           "Іваненко", "Вовк", "Климчук", "Кравчук", "Ющенко", "Гуменюк")
DE_MALE = ("Jürgen", "Klaus", "Hans", "Stefan", "Thomas", "Michael", "Andreas",
           "Wolfgang", "Uwe", "Günter", "Dieter", "Matthias", "Jörg", "Björn",
           "Lukas", "Felix", "Maximilian", "Sebastian", "Tobias", "Florian")
DE_FEMALE = ("Sabine", "Ursula", "Monika", "Petra", "Claudia", "Andrea",
             "Birgit", "Käthe", "Hannelore", "Jutta", "Anja", "Katrin", "Sophie",
             "Lena", "Mareike", "Brigitte", "Gudrun", "Bärbel", "Dörte", "Jülide")
DE_LAST = ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer",
           "Wagner", "Becker", "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer",
           "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz",
           "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange",
           "Schmitt", "Werner", "Krause", "Groß", "Köhler", "Weiß", "Jäger",
           "Vogel", "Böhm", "Günther", "Lührs", "Fuß", "Strauß")
FR_MALE = ("François", "Jean", "Pierre", "Michel", "Philippe", "Alain", "Jérôme",
           "Sébastien", "Nicolas", "Julien", "Stéphane", "Frédéric", "Thierry",
           "Laurent", "Benoît", "Gaël", "Loïc", "Hervé", "Rémi", "Cédric")
FR_FEMALE = ("Hélène", "Marie", "Nathalie", "Isabelle", "Sylvie", "Catherine",
             "Françoise", "Valérie", "Sophie", "Céline", "Aurélie", "Émilie",
             "Chloé", "Léa", "Camille", "Agnès", "Mélanie", "Zoé", "Gaëlle",
             "Anaïs")
FR_LAST = ("Dupont", "Lefèvre", "Martin", "Bernard", "Dubois", "Thomas",
           "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau", "Simon",
           "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand",
           "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier",
           "Boyer", "Blanchard", "Guérin", "Faure", "Rousseau", "Chevalier",
           "François", "Lemaître", "Bézier", "Gauthier", "Perrin", "Hébert",
           "Lacroix", "Barthélemy", "Müller-Lefèvre")

FIRST_NAMES = ((PL_MALE, PL_FEMALE), (DE_MALE, DE_FEMALE),
               (FR_MALE, FR_FEMALE), (UA_MALE, UA_FEMALE))
LAST_NAMES = (PL_LAST, DE_LAST, FR_LAST, UA_LAST)

EMAIL_DOMAINS = (
    ("gmail.com", "wp.pl", "onet.pl", "o2.pl", "interia.pl", "poczta.fm",
     "op.pl", "firma.pl", "example.pl"),
    ("gmx.de", "web.de", "t-online.de", "gmail.com", "posteo.de", "example.de"),
    ("orange.fr", "free.fr", "laposte.net", "gmail.com", "sfr.fr", "example.fr"),
    ("ukr.net", "gmail.com", "i.ua", "meta.ua", "example.com.ua"),
)

# company-name material (must all be cp1250-encodable, checked below)
PL_PREFIX = ("Przedsiębiorstwo Handlowe", "Przedsiębiorstwo Produkcyjno-Usługowe",
             "P.H.U.", "F.H.U.", "Zakład Usługowy", "Hurtownia", "Biuro Rachunkowe",
             "Piekarnia", "Transport", "Spółdzielnia Mleczarska", "Zakłady Mięsne",
             "Drukarnia", "Kancelaria Podatkowa", "Usługi Budowlane")
PL_WORD = ("Polmex", "Budimex-Serwis", "Agrotex", "Mazowsze", "Pomorze", "Śnieżka",
           "Warta", "Wisła", "Tatry", "Bałtyk", "Kujawy", "Żuraw", "Sokół", "Orzeł",
           "Górnik", "Hutnik", "Elektro", "Drewbud", "Metalplast", "Gąska",
           "Jantar", "Bieszczady", "Roztocze", "Mleczko", "Słoneczko", "Pszczółka",
           "Łódka", "Świt", "Źródło", "Księżyc")
PL_LEGAL = ("sp. z o.o.", "sp. z o.o.", "sp. z o.o.", "sp. z o.o.", "S.A.",
            "sp.j.", "sp.k.", "s.c.", "")
DE_BRANCHE = ("Maschinenbau", "Logistik", "Handelsgesellschaft", "Brauerei",
              "Stahlbau", "Elektrotechnik", "Möbelwerke", "Lebensmittel",
              "Spedition", "Kühltechnik", "Bäckereibedarf", "Druckerei")
DE_CITY_ADJ = ("Berliner", "Münchner", "Kölner", "Hamburger", "Leipziger",
               "Düsseldorfer", "Stuttgarter")
DE_LEGAL = ("GmbH", "GmbH", "GmbH", "AG", "KG", "GmbH & Co. KG", "e.K.", "OHG")
FR_ADJ = ("Générale", "Française", "Lyonnaise", "Parisienne", "Européenne",
          "Nouvelle", "Atlantique", "Régionale")
FR_NOUN = ("Négoce", "Transports", "Matériaux", "Céramique", "Boissons",
           "Électricité", "Télécommunications", "Mécanique", "Pâtisserie",
           "Logistique", "Chaussures")
FR_LEGAL = ("SARL", "SARL", "SA", "SAS", "SAS", "SNC", "EURL")
UA_WORD = ("Kyivski Mlyny", "Lvivska Kaviarnia", "Dnipro Ahro", "Kharkiv Mash",
           "Odeskyi Port Servis", "Karpaty Lis", "Chornomorets", "Poltava Khlib",
           "Zhytomyr Budmaterialy", "Podillia Tekstyl", "Slobozhanshchyna",
           "Volyn Ahro", "Bukovyna Trans", "Zaporizhstal Servis", "Tavria Vyno")
UA_LEGAL = ("TOV", "TOV", "TOV", "PP", "PrAT", "FOP")

COMPANY_STATUS_CUM = ((0.70, "aktywny"), (0.90, "nieaktywny"), (1.0, "archiwum"))
DEAL_STAGE_CUM = ((0.20, "nowa"), (0.55, "w toku"), (0.85, "wygrana"),
                  (1.0, "przegrana"))
DEAL_TITLES = (
    "Wdrożenie systemu ERP", "Dostawa materiałów biurowych", "Licencje roczne",
    "Serwis floty, Q3", 'Umowa ramowa "Premium"', "Modernizacja magazynu",
    "Szkolenie BHP", "Dostawa mąki żytniej", "Audyt IT", "Odnowienie umowy SLA",
    "Rahmenvertrag Logistik", "Wartungsvertrag, 24 Monate",
    "Contrat de maintenance", "Fourniture d'équipements",
    "Модернізація складу", "Постачання обладнання", "Pilotaż CRM",
    "Rozbudowa sieci, etap 2", "Catering na konferencję", "Transport chłodniczy",
)
BAD_AMOUNTS = ("n/a", "1 2 3", "ok. 500", "brak", "12,5 tys.", "~1000", "TBD",
               "do ustalenia")
NOTES = (
    "Dzwonić po 15:00, nie wcześniej",
    'Klient mówi, że "oddzwoni"',
    "VIP; rabat 10%",
    "Preferuje kontakt mailowy, nie telefon",
    "Zmiana nazwiska po ślubie, sprawdzić",
    'Prosi o ofertę "na wczoraj", priorytet',
    "Sekretarka: pani Ania, wew. 214",
    "Rozmawiać po rosyjsku/ukraińsku, słabo zna polski",
    "Мова: українська, англійська",
    "Spricht Deutsch, Englisch",
    "Préfère le français, SVP",
    "Były pracownik konkurencji, uwaga",
)
NOTES_MULTILINE = (
    "Spotkanie 12.03 w biurze\nfollow-up w przyszłym tygodniu",
    'Uwaga: zły numer,\nnowy numer podał "na kartce"',
    "Первинний контакт на виставці\nпотрібна пропозиція, до кінця місяця",
    "Rückruf erbeten\nam besten vormittags, ab 9 Uhr",
    "Rappeler lundi\ndemande un devis, urgent",
)

# owners.xlsx material
OWNER_LANG_CUM = (0.75, 0.90, 0.90, 1.0)        # PL, DE, (no FR), UA
OWNER_DOMAIN = "polmex-handel.pl"
OWNER_REGIONS = ("Centrum", "Północ", "Południe", "Zachód", "Wschód", "DACH",
                 "Francja", "Україна")
# How the one bad owner e-mail was typed; every shape fails any syntax check.
INVALID_EMAIL_STYLES = (
    lambda local, dom: f"{local}(at){dom}",
    lambda local, dom: f"{local}@",
    lambda local, dom: f"{local}@@{dom}",
    lambda local, dom: f"{local} {dom}",
)
QUOTA_CENTS = (0.25, 0.5, 0.75, 0.99)           # the fractional quotas

# activities.ndjson material.  Tables of (value, weight).
ACTIVITY_TYPES = (                  # (label as typed, what it means), weight
    (("call", "call"), 20), (("Call", "call"), 6), (("CALL", "call"), 2),
    (("telefon", "call"), 4), (("Telefon", "call"), 2), (("Anruf", "call"), 3),
    (("meeting", "meeting"), 12), (("Meeting", "meeting"), 5),
    (("spotkanie", "meeting"), 3), (("Termin", "meeting"), 2),
    (("email", "email"), 14), (("Email", "email"), 4),
    (("E-mail", "email"), 4), (("e-mail", "email"), 3), (("mail", "email"), 2),
    (("note", "note"), 8), (("Note", "note"), 3), (("notatka", "note"), 3),
    (("Notiz", "note"), 2),
)
ACTIVITIES_PER_DEAL = ((0, 15), (1, 35), (2, 35), (3, 15))     # mean 1.5
ACTIVITY_TIME_STYLES = (
    (("iso", lambda y, m, d, hh, mm: f"{y}-{m}-{d}T{hh}:{mm}:00"), 60),
    (("dotted", lambda y, m, d, hh, mm: f"{d}.{m}.{y} {hh}:{mm}"), 40),
)
DURATION_STYLES = (                 # minutes as a number, a decimal, a string
    (("number", lambda mins: mins), 78),
    (("decimal", lambda mins: mins + 0.5), 8),
    (("text", str), 14),
)
DURATIONS = (5, 10, 15, 15, 20, 30, 30, 45, 60, 90, 120)
ACTIVITY_NOTES = (
    'Klient prosi o ofertę "na wczoraj".\nOddzwonić w piątek po 10:00.',
    "Rozmowa z p. Żółkiewską: budżet zatwierdzony,\nale zarząd chce rabatu 5%.",
    "Spotkanie w Łodzi — omówiono „etap 2”.\nNastępny krok: umowa.",
    'Обговорили умови постачання.\nЧекаємо на підтвердження від "Київ-Агро".',
    "Клієнт просить знижку 10%;\nпередзвонити у вівторок.",
    'Rückruf erbeten, "dringend"',
    "Wysłano ofertę (plik: C:\\Oferty\\2024\\oferta_v3.pdf)",
    "Brak odpowiedzi.\n\nSpróbować ponownie za tydzień.",
    "Mail odbity — zły adres?\r\nSprawdzić w systemie.",
    "Klient: 'zadzwońcie w przyszłym miesiącu'\tpriorytet: niski",
    "",
)
P_ACTIVITY_NO_NOTES = 0.2          # "notes" key missing altogether
P_ACTIVITY_META = 0.35
META_SOURCES = ("outlook-sync", "mobile-app", "web", "import-2019",
                "gmail-addon")
META_TAGS = ("pilne", "follow-up", "VIP", "oferta", "reklamacja", "важливо",
             "Rückruf")

# --------------------------------------------------------------------------
# text helpers
# --------------------------------------------------------------------------
_UA_TRANSLIT = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e",
    "є": "ie", "ж": "zh", "з": "z", "и": "y", "і": "i", "ї": "i", "й": "i",
    "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch",
    "ш": "sh", "щ": "shch", "ь": "", "ю": "iu", "я": "ia", "'": "", "’": "",
}
_LATIN_FOLD = {
    "ą": "a", "ć": "c", "ę": "e", "ł": "l", "ń": "n", "ó": "o", "ś": "s",
    "ź": "z", "ż": "z", "ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "é": "e",
    "è": "e", "ê": "e", "ë": "e", "à": "a", "â": "a", "ç": "c", "î": "i",
    "ï": "i", "ô": "o", "û": "u", "ù": "u", "œ": "oe",
}
# Dropping a diacritic the way people type without Polish/German/French keys.
_DROP_DIACRITIC = {
    "ą": "a", "ć": "c", "ę": "e", "ł": "l", "ń": "n", "ó": "o", "ś": "s",
    "ź": "z", "ż": "z", "Ł": "L", "Ś": "S", "Ż": "Z", "Ź": "Z", "ä": "a",
    "ö": "o", "ü": "u", "ß": "s", "é": "e", "è": "e", "ê": "e", "ë": "e",
    "à": "a", "â": "a", "ç": "c", "î": "i", "ï": "i", "ô": "o", "É": "E",
}
# Common Ukrainian typing slips (Russian layout etc.)
_UA_SLIP = {"і": "и", "и": "і", "є": "е", "ї": "і", "е": "є", "г": "ґ"}


def _fold(text: str) -> str:
    """ASCII local-part material from a (Latin or Cyrillic) name."""
    out = []
    for ch in text.lower():
        if ch in _UA_TRANSLIT:
            out.append(_UA_TRANSLIT[ch])
        elif ch in _LATIN_FOLD:
            out.append(_LATIN_FOLD[ch])
        elif "a" <= ch <= "z":
            out.append(ch)
        # '-', spaces, apostrophes dropped
    return "".join(out)


def _translit_title(text: str) -> str:
    t = "".join(_UA_TRANSLIT.get(ch, ch) for ch in text.lower())
    return t[:1].upper() + t[1:]


def _female_pl(last: str) -> str:
    for m, f in (("ski", "ska"), ("cki", "cka"), ("dzki", "dzka")):
        if last.endswith(m):
            return last[: -len(m)] + f
    return last


def nip_check_digit(nine: str) -> int:
    """Polish NIP checksum over the first 9 digits; 10 means 'no valid NIP'."""
    w = (6, 5, 7, 2, 3, 4, 5, 6, 7)
    return sum(int(d) * k for d, k in zip(nine, w)) % 11


def _fmt_nip(d: str, style: int) -> str:
    if style == 0:
        return d
    if style == 1:
        return f"{d[:3]}-{d[3:6]}-{d[6:8]}-{d[8:]}"
    if style == 2:
        return "PL" + d
    if style == 3:
        return f"PL {d[:3]}-{d[3:6]}-{d[6:8]}-{d[8:]}"
    return f"{d[:3]} {d[3:6]} {d[6:8]} {d[8:]}"


N_NIP_STYLES = 5
NIP_STYLE_CUM = (0.45, 0.70, 0.82, 0.90, 1.0)


def _fr(n: str) -> str:
    """French 9-digit national number in pairs: '6 12 34 56 78'."""
    return f"{n[0]} {n[1:3]} {n[3:5]} {n[5:7]} {n[7:9]}"


# Phone shapes as old CRMs stored them, per country; a row's style picks one (style % count).
LANDLINE_STYLES = {
    PL: (lambda a, s: f"+48 {a} {s[:3]} {s[3:5]} {s[5:]}",
         lambda a, s: f"0{a} {s[:3]} {s[3:5]} {s[5:]}",
         lambda a, s: f"0048{a}{s}",
         lambda a, s: f"({a}) {s[:3]}-{s[3:5]}-{s[5:]}",
         lambda a, s: f"{a} {s}"),
    DE: (lambda a, s: f"+49 {a} {s}",
         lambda a, s: f"0{a} {s}",
         lambda a, s: f"0049 {a} {s}",
         lambda a, s: f"+49 (0){a} {s}"),
    FR: (lambda a, s: f"+33 {_fr(a + s[:8])}",     # 9 national digits
         lambda a, s: f"0{_fr(a + s[:8])}",
         lambda a, s: f"0033{(a + s[:8])}"),
    UA: (lambda a, s: f"+380 {(a + s)[:9][:len(a)]} {(a + s)[:9][len(a):]}",   # 9 national digits
         lambda a, s: f"0{(a + s)[:2]} {(a + s)[2:5]} {(a + s)[5:7]} {(a + s)[7:9]}",
         lambda a, s: f"+380{(a + s)[:9]}"),
}

MOBILE_STYLES = {
    PL: (lambda n: f"+48 {n[:3]} {n[3:6]} {n[6:]}",
         lambda n: f"0048{n}",
         lambda n: f"{n[:3]}-{n[3:6]}-{n[6:]}",
         lambda n: f"{n[:3]} {n[3:6]} {n[6:]}",
         lambda n: f"+48{n}"),
    UA: (lambda n: f"+380 {n[:2]} {n[2:5]} {n[5:]}",
         lambda n: f"0{n[:2]} {n[2:5]} {n[5:7]} {n[7:]}",
         lambda n: f"+380{n}"),
    DE: (lambda n: f"+49 {n[:3]} {n[3:]}",
         lambda n: f"0{n[:3]} {n[3:]}",
         lambda n: f"0049 {n[:3]} {n[3:]}"),
    FR: (lambda n: f"0{_fr(n)}",
         lambda n: f"+33 {_fr(n)}",
         lambda n: f"0033{n}"),
}

# A Polish landline written on a contact (passed as "L" + area + subscriber).
PL_CONTACT_LANDLINE_STYLES = (
    lambda n: f"({n[:2]}) {n[2:5]} {n[5:7]} {n[7:]}",
    lambda n: f"+48 {n[:2]} {n[2:5]} {n[5:7]} {n[7:]}",
    lambda n: f"0{n[:2]} {n[2:5]}-{n[5:7]}-{n[7:]}",
    lambda n: f"0048{n}",
)


def _pick(styles: tuple, style: int):
    return styles[style % len(styles)]


def _fmt_landline(country: int, area: str, sub: str, style: int) -> str:
    """Company phone. sub has 7 digits (PL/DE) or fits the 9-digit plan."""
    return _pick(LANDLINE_STYLES[country if country in (PL, DE, FR) else UA], style)(area, sub)


def _fmt_mobile(country: int, num: str, style: int) -> str:
    """Contact phone; num = national significant number (no trunk 0).

    A Polish landline is passed as "L" + area + subscriber.
    """
    if country == PL and num[0] == "L":
        return _pick(PL_CONTACT_LANDLINE_STYLES, style)(num[1:])
    return _pick(MOBILE_STYLES[country if country in (PL, UA, DE) else FR], style)(num)


UA_MOBILE_OPS = ("50", "63", "66", "67", "68", "73", "93", "95", "96", "97",
                 "98", "99")
DE_MOBILE_OPS = ("151", "152", "160", "170", "171", "176")


def _pick_cum(x: float, cum) -> int:
    for i, c in enumerate(cum):
        if x < c:
            return i
    return len(cum) - 1


def _sample(r, seq, k: int) -> list:
    """k distinct items of seq in draw order, using only r() (whose sequence,
    unlike Random.sample's, Python promises to keep across versions)."""
    pool = list(seq)
    out = []
    for _ in range(k):
        out.append(pool.pop(int(r() * len(pool))))
    return out


def _weighted(table) -> tuple:
    """((value, weight), ...) -> (values, cumulative shares) for _draw."""
    total = sum(w for _, w in table)
    acc, cum = 0, []
    for _, w in table:
        acc += w
        cum.append(acc / total)
    cum[-1] = 1.0
    return tuple(v for v, _ in table), tuple(cum)


def _draw(x: float, weighted: tuple):
    """The value of a _weighted table that x (uniform in [0, 1)) falls on."""
    values, cum = weighted
    return values[bisect_right(cum, x)]         # x < 1.0 == cum[-1]


# Date tables: index -> (yyyy, mm, dd) strings, built once.
def _date_table(start: date, end: date):
    out = []
    d = start
    one = timedelta(days=1)
    while d <= end:
        out.append((f"{d.year:04d}", f"{d.month:02d}", f"{d.day:02d}"))
        d += one
    return tuple(out)


def _check_cp1250() -> None:
    strings = [c for cs in CITIES for c, _ in cs]
    strings += PL_PREFIX + PL_WORD + PL_LEGAL + DE_BRANCHE + DE_CITY_ADJ
    strings += DE_LEGAL + FR_ADJ + FR_NOUN + FR_LEGAL + UA_WORD + UA_LEGAL
    strings += PL_LAST + DE_LAST
    strings += tuple(s for _, s in COMPANY_STATUS_CUM)
    for s in strings:
        s.encode("cp1250")


def _cp1250_ok(s: str) -> bool:
    try:
        s.encode("cp1250")
        return True
    except UnicodeEncodeError:
        return False


# French surnames usable in company names (cp1250 has é ç ô but not è ê à).
FR_COMPANY_LAST = tuple(s for s in FR_LAST if _cp1250_ok(s))
UA_COMPANY_LAST = tuple(_translit_title(s) for s in UA_LAST)


# --------------------------------------------------------------------------
# people (generate(..., people=True)): postal addresses, families, marriages
# --------------------------------------------------------------------------
# Appended after notes, so every reader of the columns before them is unchanged.
ADDRESS_HEADER = ["street", "postcode"]
P_NO_ADDRESS = 0.06        # originals without an address: B2B contacts often lack one
P_FAMILY = 0.04            # new people living with an earlier person (same address and
                           # surname, another first name): hard negatives, never duplicates
FAMILY_RING = 4096         # how many earlier people of a language a relative is drawn from
P_CHANGED_SURNAME = 0.12   # duplicate rows of women carrying another surname (married since)
# A duplicate's address, cumulative: mostly copied; re-typed in another format
# (ul./ulica, Str./Straße, flat as "m." or "/"); with a slip in the street name;
# moved house since (a new address); or left out in the other system.
DUP_ADDRESS_CUM = ((0.62, "same"), (0.77, "format"), (0.84, "typo"),
                   (0.93, "moved"), (1.0, "missing"))
P_MOVED_AWAY = 0.3         # of moves: to another city of the same country

# Streets per language: (kind, name). A kind's spellings, the first the usual one.
PL_STREETS = (("ul", "Marszałkowska"), ("ul", "Długa"), ("ul", "Krótka"),
              ("ul", "Polna"), ("ul", "Leśna"), ("ul", "Słoneczna"),
              ("ul", "Ogrodowa"), ("ul", "Lipowa"), ("ul", "Szkolna"),
              ("ul", "Kościuszki"), ("ul", "Mickiewicza"), ("ul", "Słowackiego"),
              ("ul", "Piłsudskiego"), ("ul", "Sienkiewicza"), ("ul", "Kolejowa"),
              ("ul", "Wiejska"), ("ul", "Brzozowa"), ("ul", "Żeromskiego"),
              ("ul", "Prusa"), ("ul", "Kopernika"), ("ul", "Chopina"),
              ("ul", "Konopnickiej"), ("ul", "Wspólna"), ("ul", "Źródlana"),
              ("al", "Jerozolimskie"), ("al", "Niepodległości"),
              ("al", "Solidarności"), ("al", "Wojska Polskiego"),
              ("pl", "Grunwaldzki"), ("pl", "Wolności"), ("os", "Tysiąclecia"),
              ("ul", "Armii Krajowej"), ("ul", "Jana Pawła II"),
              ("ul", "3 Maja"), ("ul", "Ogrodowa"), ("ul", "Zielona"))
DE_STREETS = (("str", "Haupt"), ("str", "Bahnhof"), ("str", "Goethe"),
              ("str", "Schiller"), ("str", "Garten"), ("str", "Linden"),
              ("str", "Berg"), ("str", "Kirch"), ("str", "Dorf"),
              ("str", "Mozart"), ("str", "Friedrich"), ("str", "Ring"),
              ("str", "Schul"), ("str", "Wilhelm"), ("str", "Jahn"),
              ("str", "Buchen"), ("str", "Müller"), ("str", "Königs"),
              ("weg", "Birken"), ("weg", "Rosen"), ("weg", "Wiesen"),
              ("allee", "Kastanien"), ("allee", "Park"), ("platz", "Markt"),
              ("am", "Am Mühlbach"), ("am", "Am Sonnenhang"))
FR_STREETS = (("rue", "de la République"), ("rue", "Victor Hugo"),
              ("rue", "du Général Leclerc"), ("rue", "Pasteur"),
              ("rue", "des Écoles"), ("rue", "Gambetta"), ("rue", "Nationale"),
              ("rue", "du Moulin"), ("rue", "de l'Église"), ("rue", "Jean Moulin"),
              ("rue", "de la Paix"), ("rue", "Émile Zola"),
              ("avenue", "Jean Jaurès"), ("avenue", "de la Gare"),
              ("avenue", "Foch"), ("boulevard", "Voltaire"),
              ("boulevard", "Saint-Michel"), ("place", "de la Mairie"),
              ("chemin", "des Vignes"), ("allée", "des Tilleuls"),
              ("impasse", "des Lilas"), ("quai", "des Chartrons"))
UA_STREETS = (("vul", "Шевченка"), ("vul", "Хрещатик"), ("vul", "Франка"),
              ("vul", "Лесі Українки"), ("vul", "Грушевського"),
              ("vul", "Садова"), ("vul", "Незалежності"), ("vul", "Київська"),
              ("vul", "Соборна"), ("vul", "Зелена"), ("vul", "Городоцька"),
              ("vul", "Богдана Хмельницького"), ("vul", "Пушкінська"),
              ("vul", "Гагаріна"), ("prosp", "Перемоги"), ("prosp", "Миру"),
              ("bul", "Дружби Народів"), ("bul", "Шевченка"),
              ("prov", "Тихий"), ("prov", "Шкільний"))
STREETS = (PL_STREETS, DE_STREETS, FR_STREETS, UA_STREETS)
STREET_KINDS = {
    "ul": ("ul. ", "ulica ", "ul.", ""), "al": ("al. ", "Al. ", "aleja ", "Aleje "),
    "pl": ("pl. ", "plac "), "os": ("os. ", "osiedle "),
    "str": ("straße", "str.", "strasse"), "weg": ("weg",),
    "allee": ("allee",), "platz": ("platz", "pl."), "am": ("",),
    "rue": ("rue", "r.", "RUE"), "avenue": ("avenue", "av.", "ave"),
    "boulevard": ("boulevard", "bd", "bld"), "place": ("place", "pl."),
    "chemin": ("chemin", "ch."), "allée": ("allée", "all."),
    "impasse": ("impasse", "imp."), "quai": ("quai",),
    "vul": ("вул. ", "вулиця ", "вул."), "prosp": ("просп. ", "проспект ", "пр-т "),
    "bul": ("бул. ", "бульвар "), "prov": ("пров. ", "провулок "),
}
# A flat after the house number (PL: "m. 4", "/4"; FR: ", appt 4"; UA: ", кв. 4").
FLAT_STYLES = ((" m. ", "/", " m ", " lok. "), (", Whg. ", " Whg. "),
               (", appt ", ", apt ", " app. "), (", кв. ", " кв ", ", кв."))
P_FLAT = (0.6, 0.12, 0.3, 0.65)
# Postal codes per city (same order as CITIES): (first code, step, how many);
# a street's code is one of them, so namesakes on one street share it.
POSTCODES = (
    ((0, 50, 80), (0, 50, 80), (30000, 50, 40), (90000, 50, 40), (80000, 50, 30),
     (50000, 50, 40), (60000, 50, 30), (70000, 50, 30), (20000, 50, 30),
     (40000, 50, 30), (15000, 50, 20), (85000, 50, 20), (35000, 50, 20),
     (87100, 10, 20), (25000, 50, 20), (10000, 50, 20), (65000, 50, 20),
     (42200, 10, 20)),
    ((10100, 100, 40), (80300, 50, 30), (50600, 50, 20), (20000, 100, 25),
     (60300, 20, 30), (40200, 20, 30), (70170, 20, 30), (4100, 20, 30)),
    ((75001, 1, 20), (75001, 1, 20), (69001, 1, 9), (13001, 1, 16),
     (31000, 100, 5), (59000, 800, 2), (44000, 100, 3), (67000, 100, 2)),
    ((1001, 10, 300), (1001, 10, 300), (79000, 5, 100), (61000, 5, 100),
     (65000, 5, 100), (49000, 5, 100), (69000, 5, 60), (21000, 5, 60),
     (76000, 5, 60), (58000, 5, 60)),
)


def _street_text(lang: int, street: int, number: int, flat: int,
                 style: int) -> str:
    """The street line as people type it; style picks the spellings."""
    kind, name = STREETS[lang][street]
    spellings = STREET_KINDS[kind]
    spell = spellings[style % len(spellings)]
    flats = FLAT_STYLES[lang]
    f = flats[(style // 4) % len(flats)] + str(flat) if flat else ""
    if lang == PL:
        return f"{spell}{name} {number}{f}"
    if lang == DE:
        street_name = name + spell
        letter = "abc"[number % 3] if number % 7 == 0 else ""
        return f"{street_name} {number}{letter}{f}"
    if lang == FR:
        comma = ", " if (style // 2) % 3 == 0 else " "
        line = f"{number}{comma}{spell} {name}{f}"
        return line.upper() if (style // 8) % 5 == 0 else line
    return f"{spell}{name}, {number}{f}" if style % 2 == 0 \
        else f"{spell}{name} {number}{f}"


def _postcode(lang: int, city: int, street: int, number: int,
              style: int) -> str:
    first, step, count = POSTCODES[lang][city]
    code = f"{first + step * ((street * 7 + number // 40) % count):05d}"
    if lang == PL:
        return code if style % 5 == 4 else f"{code[:2]}-{code[2:]}"
    return code


def _new_address(ra, lang: int, city: int) -> tuple:
    """(city index, street index, number, flat, style); style is the record's
    way of writing it."""
    streets = STREETS[lang]
    number = 1 + int(ra() * (120 if ra() < 0.85 else 300))
    flat = 1 + int(ra() * 80) if ra() < P_FLAT[lang] else 0
    return (city, int(ra() * len(streets)), number, flat, int(ra() * 40))


def _address_columns(lang: int, a) -> tuple:
    if a is None:
        return ("", "")
    city, street, number, flat, style = a
    return (_street_text(lang, street, number, flat, style),
            _postcode(lang, city, street, number, style))


# --------------------------------------------------------------------------
# scheduling helpers
# --------------------------------------------------------------------------
def _forced_positions(rng: Random, n: int, wants: dict) -> dict:
    """position -> list of tags whose guaranteed minimum triggers there.

    Positions are spread over the first three quarters of the file (so that a
    duplicate scheduled from there still fits), deterministic for the rng.
    """
    span = max(1, (n * 3) // 4)
    out: dict[int, list[str]] = {}
    for tag in sorted(wants):
        for _ in range(wants[tag]):
            out.setdefault(int(rng.random() * span), []).append(tag)
    return out


def _schedule(pending: dict, rng_random, i: int, n: int, payload) -> int:
    """Put payload at a free row after i; return the row, or -1 if none."""
    room = n - i - 1
    if room <= 0:
        return -1
    w = room if room < DUP_WINDOW else DUP_WINDOW
    t = i + 1 + int(rng_random() * w)
    for _ in range(64):
        if t >= n:
            t = i + 1
        if t not in pending:
            pending[t] = payload
            return t
        t += 1
    return -1


# --------------------------------------------------------------------------
# the generator
# --------------------------------------------------------------------------
class _Truth:
    def __init__(self, truth_dir: Path, people: bool = False):
        truth_dir.mkdir(parents=True, exist_ok=True)
        self._files = []

        def opener(name, header):
            f = open(truth_dir / name, "w", encoding="utf-8", newline="")
            self._files.append(f)
            w = csv.writer(f, lineterminator="\n")
            w.writerow(header)
            return w.writerow

        self.dup = opener("duplicates.csv",
                          ["entity", "source_id", "cluster_id", "kind"])
        self.orphan = opener("orphans.csv",
                             ["entity", "source_id", "column", "missing_id"])
        self.invalid = opener("invalid.csv", ["entity", "source_id", "row",
                                              "column", "value", "reason"])
        # people=True: who lives with whom (same address and surname, not
        # the same person), so a bench can count false merges of relatives
        self.family = opener("families.csv", ["source_id", "relative_id"]) \
            if people else None

    def close(self):
        for f in self._files:
            f.close()


def _orphan_base(max_id: int) -> int:
    """Ids '99' followed by enough digits to exceed every real id."""
    digits = max(5, len(str(max_id)))
    return 99 * 10 ** digits


def _name_variant(rng: Random, name: str) -> str:
    """Small spelling variation of a company name (duplicate rows)."""
    r = rng.random()
    if "sp. z o.o." in name and r < 0.35:
        return name.replace("sp. z o.o.", rng.choice(
            ("Sp. z o.o.", "SP. Z O.O.", "Sp. z o. o.", "spółka z o.o.",
             "sp.z o.o.")))
    if r < 0.55:
        return name.upper()
    if r < 0.70:
        return name.lower()
    if r < 0.85:
        parts = name.split(" ")
        if len(parts) > 1:
            k = 1 + int(rng.random() * (len(parts) - 1))
            return " ".join(parts[:k]) + "  " + " ".join(parts[k:])
        return name + " "
    return " " + name if rng.random() < 0.5 else name + " "


def _typo(rng: Random, s: str, lang: int) -> str:
    """One realistic slip in a name; guaranteed to change it."""
    chars = list(s)
    # 1) drop a diacritic / Cyrillic slip
    if lang == UA:
        idx = [i for i, c in enumerate(chars) if c in _UA_SLIP]
        if idx and rng.random() < 0.6:
            i = rng.choice(idx)
            chars[i] = _UA_SLIP[chars[i]]
            return "".join(chars)
    else:
        idx = [i for i, c in enumerate(chars) if c in _DROP_DIACRITIC]
        if idx and rng.random() < 0.75:
            for i in idx:                    # people drop all of them at once
                chars[i] = _DROP_DIACRITIC[chars[i]]
            return "".join(chars)
    # 2) letter-level typo (never the first letter)
    if len(chars) >= 4:
        k = rng.random()
        i = 1 + int(rng.random() * (len(chars) - 2))
        if k < 0.4 and chars[i] != chars[i + 1]:
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        elif k < 0.7:
            del chars[i]
        else:
            chars.insert(i, chars[i])
        out = "".join(chars)
        if out != s:
            return out
    return s + s[-1]


def _email_case_variant(rng: Random, email: str) -> str:
    """Same address, other case and/or surrounding spaces (spaces only: SQL
    trim() strips spaces, not tabs, and a tab is a different defect)."""
    local, _, dom = email.partition("@")
    r = rng.random()
    if r < 0.3:
        v = email.upper()
    elif r < 0.6:
        v = ".".join(p[:1].upper() + p[1:] for p in local.split(".")) + "@" + (
            dom.upper() if rng.random() < 0.5 else dom)
    else:
        v = local + "@" + dom.upper()
    if rng.random() < 0.5 or v == email:
        v = rng.choice(("  ", " ", "")) + v + rng.choice((" ", "  ", ""))
        if v == email:
            v = " " + v + " "
    return v


def generate(out_dir: Path, contacts: int, seed: int = DEFAULT_SEED,
             deals_format: str = "csv", people: bool = False) -> dict:
    """Write the export and its truth into out_dir; return the summary dict.

    deals_format "csv" writes deals.csv, "xml" writes deals.xml instead (the
    same records; a deals file of the other format left in out_dir by an
    earlier run is removed, so the folder always matches its summary).
    people=True adds to contacts.csv a postal address (columns street,
    postcode after notes), families (hard negatives, truth/families.csv) and
    duplicates with a changed surname; the columns and rows before them are
    drawn as without it (a stream of their own), only the names, e-mails and
    cities of family members and married duplicates differ.
    """
    if contacts < 1:
        raise ValueError("contacts must be >= 1")
    if deals_format not in DEAL_SINKS:
        raise ValueError(f"deals_format must be one of {sorted(DEAL_SINKS)}")
    _check_cp1250()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    n_contacts = int(contacts)
    n_companies = max(20, round(0.35 * n_contacts))
    n_deals = round(0.65 * n_contacts)
    n_owners = max(12, n_contacts // 5000)

    truth = _Truth(out_dir / "truth", people)
    counts: dict = {
        "duplicates": {"company": {"nip_format": {"clusters": 0,
                                                  "duplicate_rows": 0}},
                       "contact": {"email_case": {"clusters": 0,
                                                  "duplicate_rows": 0},
                                   "fuzzy": {"clusters": 0,
                                             "duplicate_rows": 0}}},
        "orphans": {"company.firma_nadrzedna": 0, "contact.company_id": 0,
                    "deal.company_id": 0, "deal.contact_id": 0,
                    "deal.owner_id": 0, "activity.deal_id": 0},
        "invalid": {"contact.contact_id": 0, "deal.amount": 0,
                    "owner.email": 0},
        "self_references": {"company.firma_nadrzedna": 0,
                            "contact.reports_to": 0},
        "references_to_duplicates": {"contact.company_id": 0,
                                     "deal.company_id": 0,
                                     "deal.contact_id": 0},
        "notes": {"with_newline": 0, "total": 0},
        "languages": {"pl": 0, "de": 0, "fr": 0, "uk": 0},
        "owners": {"inactive": 0, "deals_without_owner": 0},
        "activities": {
            "by_type": {"call": 0, "meeting": 0, "email": 0, "note": 0},
            "occurred_at": {"iso": 0, "dotted": 0},
            "duration_min": {"number": 0, "decimal": 0, "text": 0},
            "without_notes": 0, "with_meta": 0, "without_contact": 0},
    }
    if people:
        counts["people"] = {
            "without_address": 0, "family_members": 0,
            "changed_surname": 0,
            "duplicate_address": {k: 0 for _, k in DUP_ADDRESS_CUM}}
    max_id = max(FIRST_COMPANY_ID + n_companies, FIRST_CONTACT_ID + n_contacts,
                 FIRST_DEAL_ID + n_deals)
    orphan_base = _orphan_base(max_id)
    sink = DEAL_SINKS[deals_format]
    for other in DEAL_SINKS.values():
        if other is not sink:
            (out_dir / other.file_name).unlink(missing_ok=True)
    owners, bad_owner = _plan_owners(seed, n_owners)
    try:
        comp = _gen_companies(out_dir, n_companies, seed, truth, counts,
                              orphan_base)
        cont = _gen_contacts(out_dir, n_contacts, seed, truth, counts,
                             orphan_base, comp, people)
        owner_of = _DealOwners(seed, n_deals, owners, bad_owner, truth, counts)
        deals = _gen_deals(out_dir, n_deals, seed, truth, counts,
                           orphan_base, comp, cont, owner_of, sink)
        _write_owners(out_dir, owners, bad_owner, truth, counts)
        n_activities = _gen_activities(out_dir, seed, truth, counts,
                                       orphan_base, deals, cont["n_valid"])
    finally:
        truth.close()

    summary = {
        "generator": "bench/generate.py",
        "seed": seed,
        "contacts_arg": n_contacts,
        "rows": {"companies": n_companies, "contacts": n_contacts,
                 "deals": deals["rows"], "owners": n_owners,
                 "activities": n_activities},
        **counts,
        "deals_format": deals_format,
    }
    with open(out_dir / "truth" / "summary.json", "w", encoding="utf-8",
              newline="\n") as f:
        json.dump(summary, f, indent=2, ensure_ascii=False)
        f.write("\n")
    return summary


def _gen_companies(out_dir, n, seed, truth, counts, orphan_base):
    rng = Random(f"ferry-bench:{seed}:companies")
    r = rng.random
    forced = _forced_positions(rng, n, {
        "company_dup": MIN["company_dup"],
        "orphan_parent": MIN["orphan_parent"],
        "company_parent": MIN["company_parent"],
    })
    debt = {"company_dup": 0, "orphan_parent": 0, "company_parent": 0}

    # A bijection k -> 9-digit NIP prefix (100000000..999999999) so distinct
    # companies never share a NIP by accident: base = 1e8 + (a*k + b) mod 9e8.
    modulus = 900_000_000
    a = 1 + 2 * int(r() * 200_000_000)
    while a % 3 == 0 or a % 5 == 0:
        a += 2
    b = int(r() * modulus)
    nip_k = 0

    p_dup = P_COMPANY_DUP_ROWS / COMPANY_COUNTRY_CUM[PL] / (1 + P_TRIPLE)
    dates = _date_table(date(2005, 1, 1), date(2024, 12, 31))
    nd = len(dates)

    country_of = bytearray(n)
    is_dup = bytearray(n)
    dup_ids = array("i")
    pending: dict = {}

    dup_w = truth.dup
    orphan_w = truth.orphan
    c_dup = counts["duplicates"]["company"]["nip_format"]
    c_orph = counts["orphans"]
    c_self = counts["self_references"]

    n_pl_prefix, n_pl_word, n_pl_legal = len(PL_PREFIX), len(PL_WORD), len(PL_LEGAL)

    def pick(seq):
        return seq[int(r() * len(seq))]

    def make_name(country):
        x = r()
        if country == PL:
            last = pick(PL_LAST)
            legal = PL_LEGAL[int(r() * n_pl_legal)]
            if x < 0.35:
                s = f"{PL_PREFIX[int(r() * n_pl_prefix)]} {last}"
            elif x < 0.55:
                s = PL_WORD[int(r() * n_pl_word)]
            elif x < 0.68:
                s = f"{pick(PL_WORD)}-{pick(PL_WORD)}"
            elif x < 0.80:
                s = f'{pick(PL_PREFIX)} "{pick(PL_WORD)}"'
            elif x < 0.93:
                s = f"{last} i Wspólnicy"
            else:
                s = f"Kancelaria {last}; {pick(PL_LAST)}"
                legal = "sp.p."
            return f"{s} {legal}" if legal else s
        if country == DE:
            last = pick(DE_LAST)
            if x < 0.25:
                return f"{last} & Söhne {pick(DE_LEGAL)}"
            if x < 0.55:
                return f"{last} {pick(DE_BRANCHE)} {pick(DE_LEGAL)}"
            if x < 0.75:
                return f"{last} & {pick(DE_LAST)} GmbH & Co. KG"
            if x < 0.92:
                return f"{pick(DE_CITY_ADJ)} {pick(DE_BRANCHE)} {pick(DE_LEGAL)}"
            return f'Bäckerei "{last}" e.K.'
        if country == FR:
            last = pick(FR_COMPANY_LAST)
            if x < 0.35:
                return f"Société {pick(FR_ADJ)} de {pick(FR_NOUN)} {pick(FR_LEGAL)}"
            if x < 0.55:
                return f"{last} et Fils {pick(FR_LEGAL)}"
            if x < 0.75:
                return f"Groupe {last} {pick(FR_LEGAL)}"
            if x < 0.92:
                return f"Établissements {last} {pick(FR_LEGAL)}"
            return f'Les Ateliers "{pick(FR_NOUN)}" SAS'
        legal = pick(UA_LEGAL)
        if legal == "FOP":
            return f"FOP {pick(UA_COMPANY_LAST)} {pick('OAISMTV')}."
        if x < 0.6:
            return f"{legal} {pick(UA_WORD)}"
        return f"{legal} {pick(UA_COMPANY_LAST)} i Partnery"

    path = out_dir / "companies.csv"
    with open(path, "w", encoding="cp1250", newline="",
              buffering=1 << 20) as f:
        w = csv.writer(f, delimiter=";", lineterminator="\r\n",
                       quoting=csv.QUOTE_MINIMAL)
        write = w.writerow
        write(COMPANY_HEADER)
        for i in range(n):
            fid = FIRST_COMPANY_ID + i
            tags = forced.get(i)
            if tags:
                for t in tags:
                    debt[t] += 1
            dup = pending.pop(i, None)
            if dup is not None:
                (orig_id, name, nip, style, city, area, sub, phone_style,
                 status_i) = dup
                new_style = style
                while new_style == style:
                    new_style = int(r() * N_NIP_STYLES)
                x = r()
                phone = "" if x < 0.15 else _fmt_landline(
                    PL, area, sub, phone_style if x < 0.5 else int(r() * 5))
                di = int(r() * nd)
                y, m, d = dates[di]
                write((fid, _name_variant(rng, name), _fmt_nip(nip, new_style),
                       city, "PL", phone, "",
                       f"{y}-{m}-{d}" if r() < 0.5 else f"{d}.{m}.{y}",
                       COMPANY_STATUS_CUM[int(r() * 3)][1]))
                country_of[i] = PL
                is_dup[i] = 1
                dup_ids.append(fid)
                dup_w(("company", fid, orig_id, "nip_format"))
                c_dup["duplicate_rows"] += 1
                continue

            country = _pick_cum(r(), COMPANY_COUNTRY_CUM)
            country_of[i] = country
            city, area = pick(CITIES[country])
            name = make_name(country)
            nip = ""
            nip_style = 0
            if country == PL:
                while True:
                    nine = str(100_000_000 + (a * nip_k + b) % modulus)
                    nip_k += 1
                    chk = nip_check_digit(nine)
                    if chk != 10:
                        break
                nip = nine + str(chk)
                nip_style = _pick_cum(r(), NIP_STYLE_CUM)
            if country == FR:
                sub = str(10_000_000 + int(r() * 90_000_000))
            else:
                sub = str(1_000_000 + int(r() * 9_000_000))
            phone_style = int(r() * 5)
            phone = "" if r() < 0.06 else _fmt_landline(country, area, sub,
                                                        phone_style)
            parent = ""
            orphan = False
            x = r()
            if debt["orphan_parent"] or x < P_ORPHAN:
                orphan = True
                if debt["orphan_parent"]:
                    debt["orphan_parent"] -= 1
                parent = orphan_base + int(r() * 100_000)
                orphan_w(("company", fid, "firma_nadrzedna", parent))
                c_orph["company.firma_nadrzedna"] += 1
            elif i > 0 and (debt["company_parent"]
                            or x < P_ORPHAN + P_COMPANY_PARENT):
                if debt["company_parent"]:
                    debt["company_parent"] -= 1
                parent = FIRST_COMPANY_ID + int(r() * i)
                c_self["company.firma_nadrzedna"] += 1
            di = int(r() * nd)
            y, m, d = dates[di]
            created = f"{y}-{m}-{d}" if r() < 0.6 else f"{d}.{m}.{y}"
            status_i = _pick_cum(r(), [c for c, _ in COMPANY_STATUS_CUM])
            write((fid, name, _fmt_nip(nip, nip_style) if nip else "", city,
                   COUNTRY_CODE[country], phone, parent, created,
                   COMPANY_STATUS_CUM[status_i][1]))

            # One defect per row: an orphan-parent row is never a cluster original.
            if country == PL and not orphan and (debt["company_dup"]
                                                 or r() < p_dup):
                payload = (fid, name, nip, nip_style, city, area, sub,
                           phone_style, status_i)
                if _schedule(pending, r, i, n, payload) >= 0:
                    if debt["company_dup"]:
                        debt["company_dup"] -= 1
                    dup_w(("company", fid, fid, "nip_format"))
                    c_dup["clusters"] += 1
                    if r() < P_TRIPLE:
                        _schedule(pending, r, i, n, payload)
    return {"n": n, "country_of": country_of, "is_dup": is_dup,
            "dup_ids": dup_ids}


def _gen_contacts(out_dir, n, seed, truth, counts, orphan_base, comp,
                  people=False):
    rng = Random(f"ferry-bench:{seed}:contacts")
    r = rng.random
    # people: addresses, families and marriages draw from a stream of their
    # own, so the other columns keep the draws they have without them
    prng = Random(f"ferry-bench:{seed}:people")
    ra = prng.random
    # per language: (first, last0, city, address, id, first names at that address)
    relatives = ([], [], [], [])
    city_index = tuple({} for _ in CITIES)
    for lang_, cities in enumerate(CITIES):
        for k, (name, _) in enumerate(cities):
            city_index[lang_].setdefault(name, k)
    c_people = counts.get("people")
    family_w = truth.family
    no_address = ()
    forced = _forced_positions(rng, n, {
        k: MIN[k] for k in ("email_case", "fuzzy", "orphan_contact_company",
                            "invalid_contact", "reports_to", "note_newline",
                            "contact_ref_dup_company")})
    debt = {k: 0 for k in ("email_case", "fuzzy", "orphan_contact_company",
                           "invalid_contact", "reports_to", "note_newline",
                           "contact_ref_dup_company")}
    n_comp = comp["n"]
    comp_dup_ids = comp["dup_ids"]
    comp_is_dup = comp["is_dup"]

    # company index of each contact id (offset from FIRST_CONTACT_ID), -1 = none
    company_of = array("i")
    first_contact = array("i", bytes(4 * n_comp))   # 0 = no contact yet
    dup_ids = array("i")
    pending: dict = {}
    local_seen: dict = {}       # e-mail local part -> times used (bounded)

    dates = _date_table(date(2015, 1, 1), date(2024, 12, 31))
    nd = len(dates)

    # reports_to only possible when the company already has a contact; scale
    # the conditional probability so the overall share is ~P_REPORTS_TO.
    p_report = P_REPORTS_TO / 0.57     # ~57% of contacts are eligible
    p_dup = P_CONTACT_DUP_ROWS / (1 + P_TRIPLE) / 0.93   # ~93% can be originals

    # Pre-folded names (speed + stable output).
    fold_cache: dict = {}

    def fold(s):
        v = fold_cache.get(s)
        if v is None:
            v = fold_cache[s] = _fold(s)
        return v

    dup_w, orphan_w, invalid_w = truth.dup, truth.orphan, truth.invalid
    c_dup = counts["duplicates"]["contact"]
    c_orph = counts["orphans"]
    c_inv = counts["invalid"]
    c_self = counts["self_references"]
    c_ref = counts["references_to_duplicates"]
    c_notes = counts["notes"]
    c_lang = counts["languages"]
    lang_key = ("pl", "de", "fr", "uk")

    def pick(seq):
        return seq[int(r() * len(seq))]

    def new_person(lang):
        female = r() < 0.5
        first = pick(FIRST_NAMES[lang][1 if female else 0])
        last = last0 = pick(LAST_NAMES[lang])
        if lang == PL and female:
            last = _female_pl(last)
        if lang == PL:
            x = r()
            if x < 0.85:
                num = pick("5678") + str(10_000_000 + int(r() * 90_000_000))
            else:
                num = "L" + pick(("22", "12", "42", "58", "71", "61")) + str(
                    1_000_000 + int(r() * 9_000_000))
        elif lang == UA:
            num = pick(UA_MOBILE_OPS) + str(1_000_000 + int(r() * 9_000_000))
        elif lang == DE:
            num = pick(DE_MOBILE_OPS) + str(10_000_000 + int(r() * 90_000_000))
        else:
            num = pick("67") + str(10_000_000 + int(r() * 90_000_000))
        return first, last, num, female, last0

    def other_name(pool, not_this):
        v = not_this
        while v == not_this:
            v = pool[int(ra() * len(pool))]
        return v

    def address_of(lang, city):
        """A new address in city (any of the language's when empty)."""
        k = city_index[lang].get(city)
        if k is None:
            k = int(ra() * len(CITIES[lang]))
        return _new_address(ra, lang, k)

    def dup_address(lang, addr, city):
        """(street, postcode) of a duplicate row, and its city."""
        x = ra()
        how = "moved" if addr is None and x < 0.3 else \
            "missing" if addr is None else \
            next(k for p, k in DUP_ADDRESS_CUM if x < p)
        c_people["duplicate_address"][how] += 1
        if how == "same":
            return _address_columns(lang, addr), city
        if how == "format":
            before = _address_columns(lang, addr)
            for _ in range(8):
                cols = _address_columns(lang, addr[:4] + (int(ra() * 40),))
                if cols != before:
                    break
            return cols, city
        if how == "typo":
            street, code = _address_columns(lang, addr)
            return (_typo(prng, street, lang), code), city
        if how == "moved":
            if city and ra() < P_MOVED_AWAY:
                city = CITIES[lang][int(ra() * len(CITIES[lang]))][0]
            return _address_columns(lang, address_of(lang, city)), city
        return ("", ""), city

    def new_email(lang, first, last):
        f, l = fold(first), fold(last)
        x = r()
        if x < 0.45:
            base = f"{f}.{l}"
        elif x < 0.65:
            base = f"{f[0]}.{l}"
        elif x < 0.80:
            base = f"{f}{l}"
        elif x < 0.92:
            base = f"{l}.{f}"
        else:
            base = f"{f}_{l}"
        k = local_seen.get(base, 0) + 1
        local_seen[base] = k
        local = base if k == 1 else f"{base}{k}"   # bases never end in a digit
        dom = pick(EMAIL_DOMAINS[lang])
        email = f"{local}@{dom}"
        if r() < 0.06:   # some people typed it capitalised
            email = ".".join(p[:1].upper() + p[1:] for p in local.split(".")) \
                + "@" + dom
        return email, local, dom

    def date_str():
        y, m, d = dates[int(r() * nd)]
        x = r()
        if x < 0.5:
            return f"{y}-{m}-{d}"
        if x < 0.8:
            return f"{d}.{m}.{y}"
        return f"{m}/{d}/{y}"

    def note():
        if debt["note_newline"]:
            debt["note_newline"] -= 1
            c_notes["with_newline"] += 1
            c_notes["total"] += 1
            return pick(NOTES_MULTILINE)
        if r() < P_NOTE:
            c_notes["total"] += 1
            if r() < P_NOTE_NEWLINE:
                c_notes["with_newline"] += 1
                return pick(NOTES_MULTILINE)
            return pick(NOTES)
        return ""

    next_id = FIRST_CONTACT_ID
    path = out_dir / "contacts.csv"
    with open(path, "w", encoding="utf-8-sig", newline="",
              buffering=1 << 20) as f:
        w = csv.writer(f, delimiter=",", lineterminator="\n",
                       quoting=csv.QUOTE_MINIMAL)
        write = w.writerow
        write(CONTACT_HEADER + ADDRESS_HEADER if people else CONTACT_HEADER)
        for i in range(n):
            tags = forced.get(i)
            if tags:
                for t in tags:
                    debt[t] += 1

            dup = pending.pop(i, None)
            if dup is not None:
                (orig_id, kind, lang, first, last, email, local, dom, num,
                 comp_i, reports_to, city, female, addr) = dup
                cid = next_id
                next_id += 1
                style = int(r() * 6)
                if kind == "email_case":
                    e = _email_case_variant(rng, email)
                    ph = _fmt_mobile(lang, num, style) if r() < 0.85 else ""
                    fn, ln = first, last
                else:
                    x = r()
                    if x < 0.5:
                        fn, ln = first, _typo(rng, last, lang)
                    elif x < 0.75:
                        fn, ln = _typo(rng, first, lang), last
                    else:
                        fn, ln = _typo(rng, first, lang), _typo(rng, last, lang)
                    if email and r() < 0.6:
                        others = [d_ for d_ in EMAIL_DOMAINS[lang] if d_ != dom]
                        e = f"{local}@{pick(others)}"
                    else:
                        e = ""
                    ph = _fmt_mobile(lang, num, style) if r() < 0.8 else ""
                cols = no_address
                if people:
                    if female and ra() < P_CHANGED_SURNAME:
                        # married since: another surname, the first name and
                        # (mostly) the address kept
                        ln = other_name(LAST_NAMES[lang], last)
                        if lang == PL:
                            ln = _female_pl(ln)
                        if ln != last:
                            c_people["changed_surname"] += 1
                    cols, city = dup_address(lang, addr, city)
                if comp_i >= 0 and r() < 0.85:
                    company_id = FIRST_COMPANY_ID + comp_i
                    rt = reports_to if (reports_to and r() < 0.5) else ""
                    company_of.append(comp_i)
                    if comp_is_dup[comp_i]:
                        c_ref["contact.company_id"] += 1
                else:
                    company_id, rt = "", ""
                    company_of.append(-1)
                if rt:
                    c_self["contact.reports_to"] += 1
                write((cid, fn, ln, e, ph, company_id, rt, date_str(), city,
                       "") + cols)
                c_lang[lang_key[lang]] += 1
                dup_ids.append(cid)
                dup_w(("contact", cid, orig_id, kind))
                c_dup[kind]["duplicate_rows"] += 1
                continue

            lang = i if i < 4 else _pick_cum(r(), CONTACT_LANG_CUM)
            c_lang[lang_key[lang]] += 1
            first, last, num, female, last0 = new_person(lang)
            head = None
            if people and relatives[lang] and ra() < P_FAMILY:
                # a relative of an earlier person: their surname and address
                ring = relatives[lang]
                head = ring[int(ra() * len(ring))]
                last0 = head[1]
                last = _female_pl(last0) if lang == PL and female else last0
                while first in head[5]:     # no two of a family share it
                    first = other_name(FIRST_NAMES[lang][1 if female else 0],
                                       first)
            email, local, dom = new_email(lang, first, last)
            if r() < P_CONTACT_NO_EMAIL:
                email = ""
            phone = "" if r() < P_CONTACT_NO_PHONE else _fmt_mobile(
                lang, num, int(r() * 6))
            city = "" if r() < 0.05 else pick(CITIES[lang])[0]
            addr, cols = None, no_address
            if people:
                if head is not None:
                    city, addr = head[2], head[3]
                elif ra() >= P_NO_ADDRESS:
                    addr = address_of(lang, city)
                else:
                    c_people["without_address"] += 1
                cols = _address_columns(lang, addr)

            if debt["invalid_contact"] or r() < P_INVALID_CONTACT:
                if debt["invalid_contact"]:
                    debt["invalid_contact"] -= 1
                comp_i = int(r() * n_comp)
                write(("", first, last, email, phone,
                       FIRST_COMPANY_ID + comp_i, "", date_str(), city,
                       note()) + cols)
                invalid_w(("contact", "", i + 1, "contact_id", "",
                           REASON_EMPTY_ID))
                c_inv["contact.contact_id"] += 1
                continue

            cid = next_id
            next_id += 1
            reports_to = ""
            x = r()
            comp_i = -1
            orphan = False
            if debt["orphan_contact_company"] or x < P_ORPHAN:
                orphan = True
                if debt["orphan_contact_company"]:
                    debt["orphan_contact_company"] -= 1
                company_id = orphan_base + int(r() * 100_000)
                orphan_w(("contact", cid, "company_id", company_id))
                c_orph["contact.company_id"] += 1
            elif debt["contact_ref_dup_company"] and comp_dup_ids:
                debt["contact_ref_dup_company"] -= 1
                fid = comp_dup_ids[int(r() * len(comp_dup_ids))]
                comp_i = fid - FIRST_COMPANY_ID
                company_id = fid
            elif x < P_ORPHAN + P_CONTACT_NO_COMPANY:
                company_id = ""
            else:
                comp_i = int(r() * n_comp)
                company_id = FIRST_COMPANY_ID + comp_i
            if comp_i >= 0:
                if comp_is_dup[comp_i]:
                    c_ref["contact.company_id"] += 1
                boss = first_contact[comp_i]
                if boss == 0:
                    first_contact[comp_i] = cid
                elif debt["reports_to"] or r() < p_report:
                    if debt["reports_to"]:
                        debt["reports_to"] -= 1
                    reports_to = boss
                    c_self["contact.reports_to"] += 1
            company_of.append(comp_i)
            write((cid, first, last, email, phone, company_id, reports_to,
                   date_str(), city, note()) + cols)
            if people and addr is not None:
                if head is not None:
                    family_w((cid, head[4]))
                    c_people["family_members"] += 1
                home = head[5] if head is not None else []
                home.append(first)
                entry = (first, last0, city, addr, cid, home)
                ring = relatives[lang]
                if len(ring) < FAMILY_RING:
                    ring.append(entry)
                else:
                    ring[cid % FAMILY_RING] = entry

            # schedule duplicates of this (original) contact
            want_email = debt["email_case"] > 0 and email
            want_fuzzy = debt["fuzzy"] > 0
            if not orphan and (want_email or want_fuzzy or r() < p_dup):
                if want_email:
                    kind = "email_case"
                elif want_fuzzy:
                    kind = "fuzzy"
                elif email and r() < P_EMAIL_CASE:
                    kind = "email_case"
                else:
                    kind = "fuzzy"
                payload = (cid, kind, lang, first, last, email, local, dom,
                           num, comp_i, reports_to, city, female, addr)
                if _schedule(pending, r, i, n, payload) >= 0:
                    if debt[kind]:
                        debt[kind] -= 1
                    dup_w(("contact", cid, cid, kind))
                    c_dup[kind]["clusters"] += 1
                    if r() < P_TRIPLE:
                        if kind == "fuzzy":
                            # a second fuzzy copy carries no e-mail, so the two
                            # copies never share one by picking the same domain
                            payload = payload[:5] + ("",) + payload[6:]
                        _schedule(pending, r, i, n, payload)
    return {"n_valid": next_id - FIRST_CONTACT_ID, "company_of": company_of,
            "dup_ids": dup_ids}


def _gen_deals(out_dir, n, seed, truth, counts, orphan_base, comp, cont,
               owner_of, sink):
    """deals.csv or deals.xml (sink), one record per deal.

    Returns the row count and, per deal, what the activities may cite: its
    contact id (0 = none), or -1 when the row carries a defect.
    """
    rng = Random(f"ferry-bench:{seed}:deals")
    r = rng.random
    keys = ("orphan_deal_company", "orphan_deal_contact", "invalid_deal",
            "deal_ref_dup_company", "deal_ref_dup_contact")
    forced = _forced_positions(rng, n, {k: MIN[k] for k in keys})
    debt = {k: 0 for k in keys}
    n_comp = comp["n"]
    country_of = comp["country_of"]
    comp_is_dup = comp["is_dup"]
    comp_dup_ids = comp["dup_ids"]
    n_valid = cont["n_valid"]
    company_of = cont["company_of"]
    cont_dup_ids = cont["dup_ids"]
    cont_is_dup = bytearray(n_valid)
    for cid in cont_dup_ids:
        cont_is_dup[cid - FIRST_CONTACT_ID] = 1

    dates = _date_table(date(2023, 1, 1), date(2025, 12, 31))
    nd = len(dates)
    lo, hi = math.log(10_000), math.log(50_000_000)     # cents
    currency_for = (("PLN", "PLN", "PLN", "EUR"), ("EUR",), ("EUR",),
                    ("UAH", "UAH", "EUR", "PLN"))
    stage_cum = [c for c, _ in DEAL_STAGE_CUM]
    stages = [s for _, s in DEAL_STAGE_CUM]

    orphan_w, invalid_w = truth.orphan, truth.invalid
    c_orph = counts["orphans"]
    c_inv = counts["invalid"]
    c_ref = counts["references_to_duplicates"]

    def pick(seq):
        return seq[int(r() * len(seq))]

    rows = 0
    cites = array("i")          # per deal: contact id, 0 = none, -1 = defect
    with sink(out_dir) as write:
        for j in range(n):
            did = FIRST_DEAL_ID + j
            tags = forced.get(j)
            if tags:
                for t in tags:
                    debt[t] += 1
            # At most one defect per row, so each is seen on its own.
            x = r()
            if x < P_ORPHAN:
                defect = 1                              # orphan contact_id
            elif x < 2 * P_ORPHAN:
                defect = 2                              # orphan company_id
            elif x < 2 * P_ORPHAN + P_INVALID_DEAL:
                defect = 3                              # bad amount
            elif debt["orphan_deal_contact"]:
                debt["orphan_deal_contact"] -= 1
                defect = 1
            elif debt["orphan_deal_company"]:
                debt["orphan_deal_company"] -= 1
                defect = 2
            elif debt["invalid_deal"]:
                debt["invalid_deal"] -= 1
                defect = 3
            else:
                defect = 0

            # contact, then company (the contact's company when it has one)
            contact_id = ""
            comp_i = -1
            if defect == 1:
                contact_id = orphan_base + int(r() * 100_000)
                orphan_w(("deal", did, "contact_id", contact_id))
                c_orph["deal.contact_id"] += 1
            elif debt["deal_ref_dup_company"] and comp_dup_ids and defect != 2:
                debt["deal_ref_dup_company"] -= 1
                comp_i = comp_dup_ids[int(r() * len(comp_dup_ids))] \
                    - FIRST_COMPANY_ID
            elif debt["deal_ref_dup_contact"] and cont_dup_ids:
                debt["deal_ref_dup_contact"] -= 1
                contact_id = cont_dup_ids[int(r() * len(cont_dup_ids))]
                comp_i = company_of[contact_id - FIRST_CONTACT_ID]
            elif r() >= P_DEAL_NO_CONTACT and n_valid:
                k = int(r() * n_valid)
                contact_id = FIRST_CONTACT_ID + k
                comp_i = company_of[k]
            if defect != 1 and contact_id != "" \
                    and cont_is_dup[contact_id - FIRST_CONTACT_ID]:
                c_ref["deal.contact_id"] += 1

            if defect == 2:
                company_id = orphan_base + int(r() * 100_000)
                orphan_w(("deal", did, "company_id", company_id))
                c_orph["deal.company_id"] += 1
                country = PL
            else:
                if comp_i < 0:
                    comp_i = int(r() * n_comp)
                company_id = FIRST_COMPANY_ID + comp_i
                country = country_of[comp_i]
                if comp_is_dup[comp_i]:
                    c_ref["deal.company_id"] += 1

            if defect == 3:
                amount = pick(BAD_AMOUNTS)
                invalid_w(("deal", did, j + 1, "amount", amount,
                           REASON_BAD_DECIMAL))
                c_inv["deal.amount"] += 1
            else:
                cents = int(math.exp(lo + r() * (hi - lo)))
                if r() < 0.4:                         # round figures
                    cents -= cents % (100_000 if cents >= 1_000_000 else 100)
                amount = f"{cents // 100}.{cents % 100:02d}"
            title = pick(DEAL_TITLES)
            y, m, d = dates[int(r() * nd)]
            if r() < 0.3:
                title = f"{title} {y}"
            owner_id, owner_defect = owner_of(j, did, defect == 0)
            write((did, title, amount, pick(currency_for[country]),
                   stages[_pick_cum(r(), stage_cum)], company_id, contact_id,
                   f"{y}-{m}-{d}", owner_id))
            cites.append(-1 if defect or owner_defect else contact_id or 0)
            rows += 1
    return {"rows": rows, "cites": cites}


# --------------------------------------------------------------------------
# deals: csv or xml, the same records
# --------------------------------------------------------------------------
class _DealsCsv:
    """deals.csv: UTF-8, ',', LF, minimal quoting; owner_id the last column."""
    file_name = "deals.csv"

    def __init__(self, out_dir: Path):
        self._f = open(out_dir / self.file_name, "w", encoding="utf-8",
                       newline="", buffering=1 << 20)

    def __enter__(self):
        write = csv.writer(self._f, delimiter=",", lineterminator="\n",
                           quoting=csv.QUOTE_MINIMAL).writerow
        write(DEAL_HEADER)
        return write

    def __exit__(self, *exc):
        self._f.close()


# deals.xml, shaped like a CRM's XML export:
#
#   <export system="legacy-crm" generated="..."><deals>
#     <deal id="900001" stage="w toku"><title>..</title>
#       <amount currency="EUR">116000.00</amount><company_id>..</company_id>
#       <contact_id>..</contact_id><close_date>..</close_date>
#       <owner_id>..</owner_id></deal> ...
#   </deals></export>
#
# ferry's XML reader flattens a record so: attributes of the record element
# -> columns by attribute name; a child element's text -> column by its tag;
# a child's attributes -> "<child>.<attr>"; grandchildren -> "<child>.<gc>".
# The deal columns read from deals.xml are therefore
#   id, stage, title, amount, amount.currency, company_id, contact_id,
#   close_date, owner_id
# (deals.csv's deal_id is "id", its currency is "amount.currency").  An empty
# value leaves its attribute or element out.  The tables say where each
# deals.csv column goes: (index in the row, name).
_deal_col = DEAL_HEADER.index
DEAL_XML_ATTRIBUTES = ((_deal_col("deal_id"), "id"),
                       (_deal_col("stage"), "stage"))
DEAL_XML_CHILDREN = (           # (index, tag, attributes of the child)
    (_deal_col("title"), "title", ()),
    (_deal_col("amount"), "amount", ((_deal_col("currency"), "currency"),)),
    (_deal_col("company_id"), "company_id", ()),
    (_deal_col("contact_id"), "contact_id", ()),
    (_deal_col("close_date"), "close_date", ()),
    (_deal_col("owner_id"), "owner_id", ()),
)


def _xml_text(value) -> str:
    return escape(value) if type(value) is str else str(value)  # ints as is


def _xml_attributes(row, table) -> str:
    out = ""
    for i, name in table:
        value = row[i]
        if value != "":
            out += f" {name}=" + (quoteattr(value) if type(value) is str
                                  else f'"{value}"')
    return out


def _deal_element(row) -> str:
    """One <deal>, indented as exports usually are."""
    out = ["    <deal", _xml_attributes(row, DEAL_XML_ATTRIBUTES), ">\n"]
    for i, tag, attributes in DEAL_XML_CHILDREN:
        attrs = _xml_attributes(row, attributes) if attributes else ""
        text = row[i]
        if text != "":
            out.append(f"      <{tag}{attrs}>{_xml_text(text)}</{tag}>\n")
        elif attrs:
            out.append(f"      <{tag}{attrs}/>\n")
    out.append("    </deal>\n")
    return "".join(out)


class _DealsXml:
    """deals.xml: UTF-8 with a declaration, written record by record."""
    file_name = "deals.xml"

    def __init__(self, out_dir: Path):
        self._f = open(out_dir / self.file_name, "w", encoding="utf-8",
                       newline="\n", buffering=1 << 20)

    def __enter__(self):
        self._f.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                      f'<export system="legacy-crm" generated='
                      f'"{EXPORTED_AT.isoformat()}">\n  <deals>\n')
        put = self._f.write
        return lambda row: put(_deal_element(row))

    def __exit__(self, *exc):
        self._f.write("  </deals>\n</export>\n")
        self._f.close()


DEAL_SINKS = {"csv": _DealsCsv, "xml": _DealsXml}


# --------------------------------------------------------------------------
# owners: owners.xlsx and the owner_id of each deal
# --------------------------------------------------------------------------
def _plan_owners(seed, n) -> tuple[list, int]:
    """The sales team: n users, from a stream of their own.

    Injects one user whose e-mail is invalid (its index is returned with the
    rows; the truth row is written with the sheet) and about P_OWNER_INACTIVE
    inactive users (not a defect).  Other e-mails are distinct.
    """
    rng = Random(f"ferry-bench:{seed}:owners")
    r = rng.random

    def pick(seq):
        return seq[int(r() * len(seq))]

    bad = int(r() * n)
    first_hire = date(2008, 1, 1)
    hire_days = (date(2025, 6, 30) - first_hire).days
    local_seen: dict = {}
    rows = []
    for i in range(n):
        lang = _pick_cum(r(), OWNER_LANG_CUM)
        female = r() < 0.5
        first = pick(FIRST_NAMES[lang][1 if female else 0])
        last = pick(LAST_NAMES[lang])
        if lang == PL and female:
            last = _female_pl(last)
        base = f"{_fold(first)}.{_fold(last)}"
        k = local_seen.get(base, 0) + 1
        local_seen[base] = k
        local = base if k == 1 else f"{base}{k}"
        email = f"{local}@{OWNER_DOMAIN}"
        if i == bad:
            email = pick(INVALID_EMAIL_STYLES)(local, OWNER_DOMAIN)
        quota = 1000 * (120 + int(r() * 780))
        if r() < 0.3:
            quota += pick(QUOTA_CENTS)
        rows.append((FIRST_OWNER_ID + i, f"{first} {last}", email,
                     pick(OWNER_REGIONS), r() >= P_OWNER_INACTIVE,
                     first_hire + timedelta(days=int(r() * hire_days)), quota))
    return rows, bad


def _write_owners(out_dir, owners, bad, truth, counts) -> None:
    """owners.xlsx, sheet "Users": a title in row 1, row 2 empty, the header in
    row 3, then one row per user: active an Excel boolean, hired a date cell,
    quota a number.  Records the invalid e-mail in truth/invalid.csv."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Users"
    ws.append([f"Sales team export {EXPORTED_AT:%Y-%m-%d}"])
    ws.append([])
    ws.append(OWNER_HEADER)
    hired, quota = OWNER_HEADER.index("hired"), OWNER_HEADER.index("quota")
    for row in owners:
        ws.append(row)
        cells = ws[ws.max_row]
        cells[hired].number_format = "yyyy-mm-dd"
        cells[quota].number_format = "#,##0.00"
    _save_xlsx(wb, out_dir / "owners.xlsx")

    user_id, _, email = owners[bad][:3]
    truth.invalid(("owner", user_id, bad + 1, "email", email,
                   REASON_BAD_EMAIL))
    counts["invalid"]["owner.email"] += 1
    active = OWNER_HEADER.index("active")
    counts["owners"]["inactive"] = sum(1 for o in owners if not o[active])


def _save_xlsx(wb, path: Path) -> None:
    """Save wb with no clock in it, so the same seed gives the same bytes.

    openpyxl's save() stamps docProps/core.xml with the current time, and
    zipfile stamps every entry with it.  So the document dates are set to
    EXPORTED_AT, the workbook is written by openpyxl's ExcelWriter (what save()
    uses, minus the stamp) into memory, and copied entry by entry, in the same
    order, with EXPORTED_AT as every entry's time.
    """
    wb.properties.created = wb.properties.modified = EXPORTED_AT
    buf = io.BytesIO()
    ExcelWriter(wb, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED)).save()
    stamp = EXPORTED_AT.timetuple()[:6]
    with zipfile.ZipFile(buf) as src, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for entry in src.infolist():
            fixed = zipfile.ZipInfo(entry.filename, date_time=stamp)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, src.read(entry))


class _DealOwners:
    """owner_id of each deal, from a stream of its own (so deals.csv's other
    columns keep their bytes).

    Injects, on deals that carry no other defect: ~P_DEAL_ORPHAN_OWNER
    owner_ids of users deleted from the CRM (ids past the last user; recorded
    in truth/orphans.csv) and ~P_DEAL_NO_OWNER empty ones.  A deal never names
    the user with the invalid e-mail, whom a migration may reject.
    Call: (row index, deal id, row is clean) -> (owner_id, is an orphan).
    """
    _KEYS = ("orphan_deal_owner", "deal_no_owner")

    def __init__(self, seed, n_deals, owners, bad, truth, counts):
        rng = Random(f"ferry-bench:{seed}:deal-owners")
        self._r = rng.random
        self._forced = _forced_positions(rng, n_deals,
                                         {k: MIN[k] for k in self._KEYS})
        self._debt = {k: 0 for k in self._KEYS}
        self._ids = tuple(o[0] for i, o in enumerate(owners) if i != bad)
        self._deleted = FIRST_OWNER_ID + len(owners)    # first id not in use
        self._orphan_w = truth.orphan
        self._counts = counts

    def __call__(self, j, did, clean):
        r, debt = self._r, self._debt
        tags = self._forced.get(j)
        if tags:
            for t in tags:
                debt[t] += 1
        x = r()
        owner = self._ids[int(r() * len(self._ids))]
        if not clean:
            return owner, False
        if debt["orphan_deal_owner"] or x < P_DEAL_ORPHAN_OWNER:
            if debt["orphan_deal_owner"]:
                debt["orphan_deal_owner"] -= 1
            gone = self._deleted + int(r() * 20)
            self._orphan_w(("deal", did, "owner_id", gone))
            self._counts["orphans"]["deal.owner_id"] += 1
            return gone, True
        if debt["deal_no_owner"] or x < P_DEAL_ORPHAN_OWNER + P_DEAL_NO_OWNER:
            if debt["deal_no_owner"]:
                debt["deal_no_owner"] -= 1
            self._counts["owners"]["deals_without_owner"] += 1
            return "", False
        return owner, False


# --------------------------------------------------------------------------
# activities.ndjson
# --------------------------------------------------------------------------
def _js(value) -> str:
    return json.dumps(value, ensure_ascii=False)


# The activity tables as JSON text, encoded once: a line is assembled from
# these pieces rather than dumped from a dict (which costs ~4x as much).
_TYPE_JS = _weighted(tuple(((_js(label), kind), w)
                           for (label, kind), w in ACTIVITY_TYPES))
_PER_DEAL = _weighted(ACTIVITIES_PER_DEAL)
_TIME_STYLES = _weighted(ACTIVITY_TIME_STYLES)
_DURATION_JS = _weighted(tuple(
    ((shape, tuple(_js(f(m)) for m in DURATIONS)), w)
    for (shape, f), w in DURATION_STYLES))
_NOTES_JS = tuple(f', "notes": {_js(n)}' for n in ACTIVITY_NOTES)
_SOURCES_JS = tuple(_js(s) for s in META_SOURCES)
_TAGS_JS = tuple(_js(t) for t in META_TAGS)
_HOURS = tuple(f"{h:02d}" for h in range(7, 18))
_MINUTES = tuple(f"{m:02d}" for m in range(0, 60, 5))


def _gen_activities(out_dir, seed, truth, counts, orphan_base, deals,
                    n_contacts) -> int:
    """activities.ndjson, UTF-8, one JSON object per line, written as made:
    ~1.5 activities per defect-free deal, in deal order.

    Keys, in this order: activity_id, type, deal_id, contact_id, occurred_at,
    duration_min, notes, meta.  Injects: type labels in mixed case and
    languages ("telefon", "Anruf"), occurred_at in two formats, duration_min
    sometimes a decimal or a string, notes multi-line with quotes and
    Polish/Ukrainian text or the key missing altogether, contact_id null on
    some, a nested "meta" object ({"source", "tags"}) on some, and
    ~P_ACTIVITY_ORPHAN_DEAL deal_ids of deals not in the export (recorded in
    truth/orphans.csv).
    """
    rng = Random(f"ferry-bench:{seed}:activities")
    r = rng.random
    cites = deals["cites"]
    forced = _forced_positions(rng, len(cites), {
        "orphan_activity_deal": MIN["orphan_activity_deal"]})
    debt = 0
    dates = _date_table(date(2023, 1, 1), date(2025, 12, 31))
    nd = len(dates)
    c = counts["activities"]
    c_type, c_time, c_dur = c["by_type"], c["occurred_at"], c["duration_min"]
    orphan_w = truth.orphan
    c_orph = counts["orphans"]

    def pick(seq):
        return seq[int(r() * len(seq))]

    def meta():
        tags = ", ".join(_sample(r, _TAGS_JS, int(r() * 4)))
        return f', "meta": {{"source": {pick(_SOURCES_JS)}, "tags": [{tags}]}}'

    aid = FIRST_ACTIVITY_ID
    path = out_dir / "activities.ndjson"
    with open(path, "w", encoding="utf-8", newline="\n",
              buffering=1 << 20) as f:
        put = f.write
        for j, contact in enumerate(cites):
            debt += len(forced.get(j, ()))
            if contact < 0:
                continue                        # the deal row has a defect
            did = FIRST_DEAL_ID + j
            for _ in range(_draw(r(), _PER_DEAL)):
                deal_id = did
                if debt or r() < P_ACTIVITY_ORPHAN_DEAL:
                    if debt:
                        debt -= 1
                    deal_id = orphan_base + int(r() * 100_000)
                    orphan_w(("activity", aid, "deal_id", deal_id))
                    c_orph["activity.deal_id"] += 1
                type_js, kind = _draw(r(), _TYPE_JS)
                c_type[kind] += 1
                x = r()
                if contact and x < 0.7:
                    who = contact
                elif x < 0.9 or not n_contacts:
                    who = "null"
                    c["without_contact"] += 1
                else:
                    who = FIRST_CONTACT_ID + int(r() * n_contacts)
                style, fmt = _draw(r(), _TIME_STYLES)
                c_time[style] += 1
                when = fmt(*dates[int(r() * nd)], pick(_HOURS), pick(_MINUTES))
                shape, durations = _draw(r(), _DURATION_JS)
                c_dur[shape] += 1
                if r() < P_ACTIVITY_NO_NOTES:
                    notes = ""
                    c["without_notes"] += 1
                else:
                    notes = pick(_NOTES_JS)
                if r() < P_ACTIVITY_META:
                    extra = meta()
                    c["with_meta"] += 1
                else:
                    extra = ""
                put(f'{{"activity_id": {aid}, "type": {type_js}, '
                    f'"deal_id": {deal_id}, "contact_id": {who}, '
                    f'"occurred_at": "{when}", '
                    f'"duration_min": {pick(durations)}{notes}{extra}}}\n')
                aid += 1
    return aid - FIRST_ACTIVITY_ID


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description="Generate a messy legacy-CRM export with ground truth.")
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--contacts", type=int, required=True,
                    help="number of contact rows (companies=0.35N, deals=0.65N)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--deals-format", choices=sorted(DEAL_SINKS),
                    default="csv",
                    help="write deals.csv (default) or deals.xml instead")
    ap.add_argument("--people", action="store_true",
                    help="contacts with postal addresses, families and "
                         "changed surnames (columns street, postcode)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    s = generate(args.out_dir, args.contacts, args.seed, args.deals_format,
                 args.people)
    dt = time.perf_counter() - t0
    rows = s["rows"]
    print(f"wrote {rows['companies']} companies, {rows['contacts']} contacts, "
          f"{rows['deals']} deals ({args.deals_format}), {rows['owners']} "
          f"owners, {rows['activities']} activities to {args.out_dir} "
          f"in {dt:.1f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
