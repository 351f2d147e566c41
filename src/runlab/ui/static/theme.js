// Applies the saved theme before the first paint (loaded synchronously from <head>).
try {
  var saved = localStorage.getItem("runlab.theme");
  if (saved === "dark" || saved === "light") document.documentElement.dataset.theme = saved;
} catch (e) {}
