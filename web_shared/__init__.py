"""What both web apps share and the core never imports: Flask and Werkzeug plumbing only.

The source and journalist apps never import each other, and `sealdrop` knows no web framework, so
code the two apps would otherwise each keep a copy of lives here. It imports no other project
package: nothing here may know a source, a journalist or the instance.
"""
