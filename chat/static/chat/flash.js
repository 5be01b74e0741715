// Django's flash messages: success and info notes leave on their own; errors and
// warnings stay until dismissed.
// Time to read a note before it fades; it waits while the pointer or focus is on it.
const LINGER_MS = 5000;
const FADE_MS = 300;
const list = document.querySelector(".flash");
if (list) setUp(list);

function setUp(list) {
  const remove = (item) => {
    item.remove();
    if (!list.querySelector(".flash__item")) list.remove();
  };
  for (const item of list.querySelectorAll(".flash__item")) {
    const close = item.querySelector("[data-flash-close]");
    if (close) {
      close.hidden = false;
      close.addEventListener("click", () => {
        const next = item.nextElementSibling || item.previousElementSibling;
        remove(item);
        (next?.querySelector("[data-flash-close]") || document.getElementById("main"))?.focus({ preventScroll: true });
      });
    }
    if (item.hasAttribute("data-flash-sticky")) continue;
    let timer = 0;
    const leave = () => {
      item.classList.add("is-leaving");
      timer = setTimeout(() => remove(item), FADE_MS);
    };
    const wait = () => {
      clearTimeout(timer);
      item.classList.remove("is-leaving");
      timer = setTimeout(leave, LINGER_MS);
    };
    const hold = () => {
      clearTimeout(timer);
      item.classList.remove("is-leaving");
    };
    item.addEventListener("mouseenter", hold);
    item.addEventListener("focusin", hold);
    item.addEventListener("mouseleave", wait);
    item.addEventListener("focusout", wait);
    wait();
  }
}
