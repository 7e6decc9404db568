"""Django's own admin messages that our translations word differently.

Django's Dutch puts “De” before every model name (“De initiatief … is met succes gewijzigd”), which is
wrong for the register's neuter nouns (het initiatief, het partnerschap). Our catalogue
(locale/nl/LC_MESSAGES/django.po, found before Django's) words these without an article. Listed here
so that makemessages keeps them in the catalogue; nothing calls this module.
"""

from django.utils.translation import gettext_noop

DJANGO_ADMIN_MESSAGES = (
    gettext_noop("The {name} “{obj}” was added successfully."),
    gettext_noop("The {name} “{obj}” was added successfully. You may edit it again below."),
    gettext_noop("The {name} “{obj}” was added successfully. You may add another {name} below."),
    gettext_noop("The {name} “{obj}” was changed successfully."),
    gettext_noop("The {name} “{obj}” was changed successfully. You may edit it again below."),
    gettext_noop("The {name} “{obj}” was changed successfully. You may add another {name} below."),
    gettext_noop("The %(name)s “%(obj)s” was deleted successfully."),
)
