// Render every chart on the page from its embedded Vega-Lite spec (vega-embed is served by
// scalegate itself at /vendor/vega-embed.js). The data table next to each chart stays the
// accessible, script-free form of the same facts.
(function () {
  function render() {
    document.querySelectorAll("[data-spec]").forEach(function (container) {
      var source = document.getElementById(container.getAttribute("data-spec"));
      if (!source || typeof window.vegaEmbed !== "function") return;
      var spec = JSON.parse(source.textContent);
      window.vegaEmbed(container, spec, { actions: false, renderer: "svg" }).then(function () {
        container.setAttribute("data-rendered", "true");
      }).catch(function (error) {
        container.setAttribute("data-error", String(error));
        container.textContent = "The chart could not be drawn; its data is in the table below.";
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", render);
  else render();
})();
