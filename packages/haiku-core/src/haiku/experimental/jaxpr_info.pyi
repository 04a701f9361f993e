# Type stub of the lazy `haiku.experimental.jaxpr_info` namespace (served by
# haiku-experimental). It lives in a stub-only folder beside experimental.pyi;
# at run time haiku's namespace finder serves the module.
from haiku_experimental._src.jaxpr_info import Expression as Expression
from haiku_experimental._src.jaxpr_info import Module as Module
from haiku_experimental._src.jaxpr_info import format_module as format_module
from haiku_experimental._src.jaxpr_info import make_model_info as make_model_info
from haiku_experimental._src.flops import estimate_flops as estimate_flops
from haiku_experimental._src.jaxpr_info_html import as_html as as_html
from haiku_experimental._src.jaxpr_info_html import as_html_page as as_html_page
from haiku_experimental._src.jaxpr_info_html import css as css
from haiku_experimental._src.jaxpr_info_html import js as js
