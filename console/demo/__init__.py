"""The bundled demo: a recording of the pve03 incident, made by our own generator."""
