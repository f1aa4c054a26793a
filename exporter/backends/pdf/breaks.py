"""Two page-break rules WeasyPrint 70 misses, which split a photo from its caption.

- A figure is a table (so its caption, a table caption, wraps to the photo's width), and
  WeasyPrint gives `break-inside` to the table inside the table's wrapper box, not to the
  wrapper that holds table and caption: `break-inside: avoid` then kept nothing
  together. Here the wrapper takes it, like `break-before` and `break-after`.
- A float is laid out as if it began an empty page, so `break-inside: avoid` on a floated
  figure was never honoured. Here a float that avoids breaks is laid out with no page
  bottom at all; the block layout then sees it overflow and moves it, whole, to the next
  page, as it does for any box that cannot break. A float continued from an earlier page
  (`skip_stack`) is unchanged.
"""

from __future__ import annotations

import math
from typing import Any

_applied = False
AVOID = ("avoid", "avoid-page")


def apply() -> None:
    """Patch WeasyPrint's box building and block layout once per process."""
    global _applied
    if _applied:
        return
    import weasyprint.css.properties as properties
    import weasyprint.layout.block as block

    properties.TABLE_WRAPPER_BOX_PROPERTIES.add("break_inside")
    original = block.float_layout

    def float_layout(context: Any, box: Any, containing_block: Any, absolute_boxes: Any,
                     fixed_boxes: Any, bottom_space: float, skip_stack: Any) -> Any:
        if skip_stack is None and box.style["break_inside"] in AVOID:
            bottom_space = -math.inf
        return original(context, box, containing_block, absolute_boxes, fixed_boxes,
                        bottom_space, skip_stack)

    block.float_layout = float_layout
    _applied = True
