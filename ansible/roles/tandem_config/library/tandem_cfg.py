#!/usr/bin/python
# -*- coding: utf-8 -*-
"""Sets keys of Karaf/Tandem configuration files (key = value) in one call, keeping comments."""

from __future__ import annotations

DOCUMENTATION = r"""
module: tandem_cfg
short_description: Set keys in the .cfg/.properties files of a Tandem node's etc/
description:
  - For every file and key given, replaces the active line C(key = ...) (with its continuation lines)
    by C(key = value), or appends it when the key is absent; comments and other keys are kept.
    A line whose value is already the wanted one is left as it is, so a second run changes nothing.
options:
  etc:
    description: The node's etc/ directory.
    type: path
    required: true
  settings:
    description: File name (relative to etc) -> key -> value.
    type: dict
    default: {}
  secret_settings:
    description: Like settings, for passwords and other secrets; their values are never shown in the output.
    type: dict
    default: {}
  create:
    description: Create a missing file (otherwise a missing file is an error).
    type: bool
    default: false
"""

RETURN = r"""
changed_keys:
  description: "file: key" of every key that was set to a new value.
  type: list
  returned: always
"""

import os
import re
import tempfile

from ansible.module_utils.basic import AnsibleModule


def active_value(lines, i):
    """Value of the logical line starting at lines[i] and the index after its last continuation line."""
    text = lines[i].rstrip("\n")
    j = i + 1
    while text.endswith("\\") and j < len(lines):
        text = text[:-1] + lines[j].strip().rstrip("\n")
        j += 1
    return text.split("=", 1)[1].strip(), j


def set_keys(lines, values):
    """Returns (new lines, keys changed)."""
    changed = []
    for key, value in values.items():
        value = str(value)
        pattern = re.compile(r"^\s*" + re.escape(key) + r"\s*=")
        for i, line in enumerate(lines):
            if pattern.match(line):
                current, end = active_value(lines, i)
                if current != value:
                    lines[i:end] = ["%s = %s\n" % (key, value)]
                    changed.append(key)
                break
        else:
            if lines and not lines[-1].endswith("\n"):
                lines[-1] += "\n"
            lines.append("%s = %s\n" % (key, value))
            changed.append(key)
    return lines, changed


def main():
    module = AnsibleModule(
        argument_spec=dict(
            etc=dict(type="path", required=True),
            settings=dict(type="dict", default={}),
            secret_settings=dict(type="dict", default={}, no_log=True),
            create=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    etc = module.params["etc"]
    changed_keys = []
    files = {}
    for source in ("settings", "secret_settings"):
        for name, values in module.params[source].items():
            if not isinstance(values, dict):
                module.fail_json(msg="%s of '%s' must be a mapping of key to value, got %s" % (source, name, type(values).__name__))
            files.setdefault(name, {}).update(values)
    for name, values in sorted(files.items()):
        path = os.path.join(etc, name)
        if os.path.normpath(path).startswith(os.path.normpath(etc) + os.sep) is False:
            module.fail_json(msg="file '%s' is outside %s" % (name, etc))
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                lines = f.readlines()
        elif module.params["create"]:
            lines = []
        else:
            module.fail_json(msg="%s does not exist" % path)
        lines, keys = set_keys(lines, values)
        if not keys:
            continue
        changed_keys.extend("%s: %s" % (name, k) for k in keys)
        if module.check_mode:
            continue
        # a new file belongs to the owner of etc/, an existing one keeps its owner and mode
        st = os.stat(path if os.path.exists(path) else etc)
        mode = st.st_mode & 0o7777 if os.path.exists(path) else 0o640
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tandem-cfg-")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.writelines(lines)
        os.chmod(tmp, mode)
        if os.geteuid() == 0:
            os.chown(tmp, st.st_uid, st.st_gid)
        os.replace(tmp, path)
    module.exit_json(changed=bool(changed_keys), changed_keys=changed_keys)


if __name__ == "__main__":
    main()
