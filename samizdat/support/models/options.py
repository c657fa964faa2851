"""(models to come)"""
__all__ = []
