"""The blueprints that ``create_app`` registers."""

from service.api import docs, health, images, local_images, products, users

blueprints = (health.bp, users.bp, products.bp, images.bp, docs.bp)

# Serves image bytes only when images are stored in a local folder (no S3).
local_store_blueprints = (local_images.bp,)
