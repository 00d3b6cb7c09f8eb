namespace seuicc {}
