/* 首页的地点选择: when a county opens and its list would run below the screen, scroll the county's
 * summary up under the header, so that every township is in sight for the second tap.
 * Without this script the picker works the same (plain <details> and links); nothing is fetched.
 */
(function () {
  "use strict";

  var picker = document.querySelector(".place-picker");
  if (!picker) {
    return;
  }
  var counties = picker.querySelectorAll("details.place-county");
  Array.prototype.forEach.call(counties, function (county) {
    county.addEventListener("toggle", function () {
      if (!county.open) {
        return;
      }
      var box = county.getBoundingClientRect();
      if (box.bottom <= window.innerHeight) {
        return; // already all in sight
      }
      var header = document.querySelector(".md-header");
      var top = header ? header.getBoundingClientRect().bottom : 0;
      window.scrollBy(0, Math.max(0, box.top - top - 8));
    });
  });
})();
