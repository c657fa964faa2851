"""Outliving a database restart: what long-running processes catch, and how they reconnect."""

from django.db import InterfaceError, OperationalError, connection

# What a lost or restarting database raises through Django.
DATABASE_DOWN = (OperationalError, InterfaceError)


def close_connection():
    """Drop this thread's connection, broken or not; the next query opens a new one."""
    try:
        connection.close()
    except DATABASE_DOWN:
        connection.connection = None
