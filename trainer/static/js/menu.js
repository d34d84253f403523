// The header's "Menu" is a <details>: it opens and closes without script. This adds what a
// menu is expected to do besides: Escape closes it and gives the focus back to its "Menu"
// button, and a click or tap outside it closes it. On a wide screen, where every link shows
// in one row and the button is hidden, it does nothing.
(function () {
  "use strict";
  var menu = document.querySelector("details.menu");
  var button = menu && menu.querySelector("summary");
  if (!button) return;

  function isOpenMenu() {
    return menu.open && button.getClientRects().length > 0;
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !isOpenMenu()) return;
    menu.open = false;
    button.focus();
  });

  // pointerdown, not click: a tap on a part of the page that is no link or button sends no
  // click on some phones.
  document.addEventListener("pointerdown", function (event) {
    if (isOpenMenu() && !menu.contains(event.target)) menu.open = false;
  });
})();
