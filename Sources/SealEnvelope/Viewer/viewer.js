"use strict";
/* Placeholder: the viewer comes from branch h-env-viewer. */
document.getElementById("placeholder").textContent += " (script ran)";
