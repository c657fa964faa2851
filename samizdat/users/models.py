from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """A newsroom staff member. Supporters are never users: they have no accounts."""

    class Meta:
        db_table = "users_user"
