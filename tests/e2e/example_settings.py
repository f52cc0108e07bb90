"""The example project's settings, as the end-to-end stack runs them.

Only the password hasher differs: the default one spends about 0.4 s of CPU
on every login and every demo user made, by design, and the e2e modules log
in dozens of times beside the other lane's tests. Django's testing docs advise
a fast hasher in tests. scripts/demo and its tests keep the example's own.
"""

from chat_example.settings import *  # noqa: F403  (the example's settings, all of them)

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
