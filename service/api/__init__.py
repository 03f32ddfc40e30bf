"""The blueprints that ``create_app`` registers."""

from service.api import docs, health, images, local_images, products, users

blueprints = (health.bp, users.bp, products.bp, images.bp, docs.bp)

__all__ = ["blueprints", "local_images"]
