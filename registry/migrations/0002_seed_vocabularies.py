"""Seed the vocabularies with their first terms: (code, Dutch label, English label), in order.

Codes are stable identifiers and never change once published. Later terms come through the
admin or through new migrations; this one keeps meaning what it meant when it was written.
"""

from django.db import migrations

KINDS = [
    ("bewonersinitiatief", "Bewonersinitiatief", "Residents' initiative"),
    ("bewonersbedrijf", "Bewonersbedrijf", "Resident enterprise"),
    ("dorpscooperatie", "Dorpscoöperatie", "Village cooperative"),
    ("zorgcooperatie", "Zorgcoöperatie", "Care cooperative"),
    ("buurtcooperatie", "Buurtcoöperatie", "Neighbourhood cooperative"),
    ("wijkonderneming", "Wijkonderneming", "Neighbourhood enterprise"),
]

SERVICES = [
    ("winkel", "Dorps- of buurtwinkel", "Village or neighbourhood shop"),
    ("ontmoetingsplek", "Ontmoetingsplek", "Meeting point"),
    ("sociaal-loket", "Sociaal loket", "Social counter"),
    ("dorpshuis-buurthuis", "Dorpshuis of buurthuis", "Village or community hall"),
    ("wijkrestaurant", "Wijkrestaurant", "Community restaurant"),
    ("gemeenschapstuin", "Gemeenschapstuin", "Community garden"),
    ("stadslandbouw", "Stadslandbouw", "Urban farming"),
    ("leerwerkplekken", "Leerwerkplekken", "Work-experience and re-integration places"),
    ("dagbesteding", "Dagbesteding", "Day activities"),
    ("mantelzorgondersteuning", "Mantelzorgondersteuning", "Informal-care support"),
    ("wijkatelier", "Wijkatelier", "Neighbourhood workshop"),
    ("vervoer", "Vervoer (buurtbus)", "Transport (community bus)"),
    ("zorg-welzijn", "Zorg en welzijn thuis", "Care and wellbeing at home"),
    ("wonen", "Wonen", "Housing"),
    ("energie", "Energie", "Energy"),
    ("overig", "Overig", "Other"),
]

PARTNER_KINDS = [
    ("gemeente", "Gemeente", "Municipality"),
    ("provincie", "Provincie", "Province"),
    ("zorginstelling", "Zorginstelling", "Care provider"),
    ("welzijnsorganisatie", "Welzijnsorganisatie", "Welfare organisation"),
    ("woningcorporatie", "Woningcorporatie", "Housing association"),
    ("vermogensfonds", "Vermogensfonds", "Charitable foundation"),
    ("onderwijs", "Onderwijs", "Education"),
    ("bedrijf", "Bedrijf", "Business"),
    ("landelijk-netwerk", "Landelijk netwerk", "National network"),
    ("overig", "Overig", "Other"),
]

PARTNERSHIP_ROLES = [
    ("financier", "Financier (subsidie, bijdrage)", "Funder (subsidy, grant)"),
    ("opdrachtgever", "Opdrachtgever", "Client (commissions work)"),
    ("lening", "Lening", "Loan"),
    ("accommodatie", "Accommodatie", "Provides the building"),
    ("begeleiding", "Begeleiding", "Coaching and support"),
    ("samenwerking", "Samenwerking", "Other collaboration"),
]

FUNDING_SOURCES = [
    ("subsidie", "Subsidie", "Subsidy"),
    ("opdrachten", "Opdrachten", "Commissioned work"),
    ("vermogensfondsen", "Vermogensfondsen", "Charitable foundations"),
    ("crowdfunding", "Crowdfunding", "Crowdfunding"),
    ("lening", "Lening", "Loan"),
    ("eigen-inkomsten", "Eigen inkomsten (verkoop, verhuur, horeca)", "Own income (sales, rent, catering)"),
    ("contributie", "Contributie van leden", "Membership fees"),
    ("donaties", "Donaties", "Donations"),
    ("partnerschap", "Partnerschap", "Partnership"),
]

TERMS = {
    "Kind": KINDS,
    "Service": SERVICES,
    "PartnerKind": PARTNER_KINDS,
    "PartnershipRole": PARTNERSHIP_ROLES,
    "FundingSource": FUNDING_SOURCES,
}


def seed(apps, schema_editor):
    for model_name, terms in TERMS.items():
        model = apps.get_model("registry", model_name)
        for order, (code, label_nl, label_en) in enumerate(terms, start=1):
            model.objects.update_or_create(
                code=code, defaults={"label_nl": label_nl, "label_en": label_en, "order": order}
            )


def unseed(apps, schema_editor):
    for model_name, terms in TERMS.items():
        apps.get_model("registry", model_name).objects.filter(code__in=[t[0] for t in terms]).delete()


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
