"""The REST API: serializers, views by area, authentication by token, the schema."""
