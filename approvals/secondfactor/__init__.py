"""Officials sign in with a second factor.

Window clerks, department reviewers, supervisors and admins decide on other
people's applications and read what government holds about them: a password
alone, guessed or phished, must not be enough. With OFFICIAL_SECOND_FACTOR on
(the default; `make run` turns it off for the demo) they type a code from a
TOTP authenticator app (django-otp) after the password, on the pages and for
an API token. Investors and the public are never asked.

- ``rules``: who needs it, and the two things done with it: enrol a device
  (once, at the first login) and type its code (every session, every token).
- ``middleware``: until the code is typed, an official reaches only these pages.
- ``views``, ``forms``, ``urls``: the enrolment and code pages.
- ``admin_site``: the admin asks the same of its users.
"""
