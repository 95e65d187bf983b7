class BuildError(Exception):
    pass
